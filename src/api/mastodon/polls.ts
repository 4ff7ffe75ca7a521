import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { invalid } from "../../domain/errors.ts";
import { getVisiblePoll, ownVotesOn, votePoll } from "../../domain/polls.ts";
import { type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "./auth.ts";
import { renderPoll } from "./entities/poll.ts";
import { type Params, pathId, readParams } from "./params.ts";

/** `choices[]=0&choices[]=2` (or JSON numbers): option indexes; anything else is a 422. */
function choicesParam(params: Params): number[] {
  const v = params.choices;
  const values = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  if (values.length > 100) throw invalid("choices: too many");
  return values.map((x) => {
    const s = typeof x === "number" ? String(x) : x;
    if (typeof s !== "string" || !/^\d{1,6}$/.test(s.trim())) throw invalid("choices must be option indexes");
    return Number(s.trim());
  });
}

/** /api/v1/polls: a poll (its id is its status's) and voting on it. */
export function mountPolls(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/:id", optionalAuth("read:statuses"), async (c) => {
    const { db } = c.get("deps");
    const viewer = viewerOf(c);
    const { post, poll } = await getVisiblePoll(db, viewer, pathId(c));
    if (viewer.kind !== "local") return c.json(renderPoll(post, poll, {}));
    const own = await ownVotesOn(db, viewer.actorId, [post.id]);
    return c.json(renderPoll(post, poll, { accountId: viewer.actorId, ownVotes: own.get(post.id) ?? [] }));
  });

  r.post("/:id/votes", requireAuth("write:statuses"), async (c) => {
    const { db } = c.get("deps");
    const me = currentAccount(c);
    const id = pathId(c);
    const choices = choicesParam(await readParams(c));
    const { post, poll } = await votePoll(db, me, id, choices);
    return c.json(renderPoll(post, poll, { accountId: me.id, ownVotes: [...choices].sort((a, b) => a - b) }));
  });

  app.route("/api/v1/polls", r);
}
