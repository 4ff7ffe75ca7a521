/**
 * Plein's API for the accepted answer: POST /posts/:id/accept {answer_id}
 * chooses (or changes) it, DELETE /posts/:id/accept clears it. 200 when this
 * server's group decided at once; 202 when the question's group is on
 * another server, which decides and tells every member's server.
 */
import type { Hono } from "hono";
import { invalid, notFound } from "../../domain/errors.ts";
import { getVisiblePost } from "../../domain/posts/read.ts";
import type { Viewer } from "../../domain/visibility.ts";
import type { Post } from "../../db/schema.ts";
import { type ApiContext, type ApiEnv, currentAccount, requireAuth, viewerOf } from "../../api/mastodon/auth.ts";
import { optionalId, pathId, readParams } from "../../api/mastodon/params.ts";
import { renderContent } from "../../api/plein/entities.ts";
import { decide, type DecisionOutcome, visiblePost } from "./rules.ts";

async function answer(c: ApiContext, viewer: Viewer, question: Post, outcome: DecisionOutcome) {
  const deps = c.get("deps");
  const fresh = await getVisiblePost(deps.db, viewer, question.id);
  const [json] = await renderContent(deps, [fresh], viewer);
  if (!json) throw notFound();
  return c.json(json, outcome === "sent" ? 202 : 200);
}

export function questionRoutes(router: Hono<ApiEnv>): void {
  router.post("/posts/:id/accept", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const question = await getVisiblePost(deps.db, viewer, pathId(c));
    const answerId = optionalId(await readParams(c), "answer_id");
    if (answerId === undefined) throw invalid("answer_id is required");
    const chosen = await visiblePost(deps.db, viewer, answerId);
    if (!chosen) throw invalid("answer_id is not an answer to this question (a comment on it)");
    return answer(c, viewer, question, await decide(deps.db, question, chosen, currentAccount(c)));
  });

  router.delete("/posts/:id/accept", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const question = await getVisiblePost(deps.db, viewer, pathId(c));
    return answer(c, viewer, question, await decide(deps.db, question, null, currentAccount(c)));
  });
}
