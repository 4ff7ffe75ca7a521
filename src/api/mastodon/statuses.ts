import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import type { Post } from "../../db/schema.ts";
import { conflict, invalid, notFound } from "../../domain/errors.ts";
import {
  completeIdempotencyKey,
  MAX_IDEMPOTENCY_KEY_CHARS,
  releaseIdempotencyKey,
  reserveIdempotencyKey,
} from "../../domain/idempotency.ts";
import { boostersOf, likersOf } from "../../domain/interactions.ts";
import { createLocalPost, deleteLocalPost, editLocalPost } from "../../domain/posts/authoring.ts";
import { postVersions } from "../../domain/posts/history.ts";
import { assertPollUnchanged, newPollExtra, schedulePollClose } from "../../domain/polls.ts";
import { getVisiblePost } from "../../domain/posts/read.ts";
import { boost, like, unboost, unlike } from "../../domain/posts/sharing.ts";
import { bookmark, unbookmark } from "../../domain/saved-posts.ts";
import { pin, unpin } from "../../domain/pins.ts";
import { context } from "../../domain/timelines.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { type ApiContext, type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "./auth.ts";
import { composeText, groupOfStatus, parseNewStatus, parsePoll, parseStatusText } from "./compose.ts";
import { renderAccountList } from "./entities/account.ts";
import type { MastodonContext } from "./entities/context.ts";
import { renderStatus } from "./entities/status.ts";
import { renderFilteredStatuses } from "./filtering.ts";
import { renderStatusEdits, renderStatusSource } from "./entities/status-edit.ts";
import { oneOf, pageParams, type Params, pathId, queryParams, readParams, setLinkHeader } from "./params.ts";
import { moduleOfPost } from "../../modules/registry.ts";
import { scopeComposedAs } from "../../domain/scopes.ts";

const READ = ["read:statuses"] as const;

/** Renders one post; a boost of something the viewer may not see is absent. */
async function statusJson(c: ApiContext, viewer: Viewer, post: Post, options: { withSource?: boolean } = {}) {
  const status = await renderStatus(c.get("deps"), viewer, post, options);
  if (!status) throw notFound();
  return c.json(status);
}

/** A visible post, or its original when it is a boost (favourite and boost act on originals). */
async function visibleOriginal(c: ApiContext, viewer: Viewer, id: string): Promise<Post> {
  const { db } = c.get("deps");
  const post = await getVisiblePost(db, viewer, id);
  return post.reblog_of_id ? getVisiblePost(db, viewer, post.reblog_of_id) : post;
}

/** /api/v1/statuses: post, read, edit (with history and source), delete, thread, favourite, bookmark, pin, boost. */
export function mountStatuses(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.post("/", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const input = parseNewStatus(await readParams(c));
    const pollExtra = input.poll ? newPollExtra(input.poll) : undefined;
    const key = c.req.header("idempotency-key");
    if (key !== undefined && (key === "" || key.length > MAX_IDEMPOTENCY_KEY_CHARS)) {
      throw invalid(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} characters`);
    }
    if (key !== undefined) {
      const reservation = await reserveIdempotencyKey(deps.db, me.id, key);
      if (reservation.kind === "done") return statusJson(c, viewerOf(c), await getVisiblePost(deps.db, viewerOf(c), reservation.result));
      if (reservation.kind === "pending") throw conflict("A request with this Idempotency-Key is still being processed");
    }
    try {
      const formatted = await composeText(deps, input.text);
      const groupId = groupOfStatus(formatted);
      const post = await createLocalPost(deps.db, deps.config.origin, me, {
        contentHtml: formatted.html,
        contentSource: input.text,
        summary: input.spoilerText || null,
        sensitive: input.sensitive,
        visibility: input.visibility,
        inReplyToId: input.inReplyToId ?? null,
        mentionIds: formatted.mentionIds,
        tags: formatted.tags,
        language: input.language ?? null,
        groupId,
        ...(input.mediaIds?.length ? { mediaIds: input.mediaIds } : {}),
        // A status with a poll is a Question (src/domain/polls.ts); its closing is queued with it.
        ...(pollExtra ? { type: "Question" as const, extra: pollExtra } : {}),
      }, pollExtra ? schedulePollClose : undefined);
      if (key !== undefined) await completeIdempotencyKey(deps.db, me.id, key, post.id);
      return statusJson(c, viewerOf(c), post);
    } catch (error) {
      if (key !== undefined) await releaseIdempotencyKey(deps.db, me.id, key);
      throw error;
    }
  });

  r.get("/:id", optionalAuth(...READ), async (c) => {
    const viewer = viewerOf(c);
    return statusJson(c, viewer, await getVisiblePost(c.get("deps").db, viewer, pathId(c)));
  });

  r.put("/:id", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const id = pathId(c);
    const viewer = viewerOf(c);
    const existing = await getVisiblePost(deps.db, viewer, id);
    if (existing.actor_id !== me.id || existing.reblog_of_id) throw notFound();
    const params = await readParams(c);
    const input = parseStatusText(params);
    assertPollUnchanged(existing, parsePoll(params));
    const formatted = await composeText(deps, input.text);
    // A content module's post keeps the module's rules of an edit (a wiki page's revision, and how it travels):
    // an edit of the text alone, as Plein's API makes one without the module's fields.
    const module = moduleOfPost(existing);
    const moduleData = module?.parse ? module.parse(Object.create(null) as Params, "edit").data : null;
    const save = module?.save;
    const queueEdit = module?.queueEditDelivery;
    const post = await editLocalPost(deps.db, me, id, {
      contentHtml: formatted.html,
      contentSource: input.text,
      summary: input.spoilerText || null,
      sensitive: input.sensitive,
      mentionIds: formatted.mentionIds,
      tags: formatted.tags,
      ...(input.language !== undefined ? { language: input.language } : {}),
      ...(input.mediaIds !== undefined ? { mediaIds: input.mediaIds } : {}),
    }, {
      ...(save ? { inTransaction: (trx, p: Post) => save(trx, p, moduleData, me) } : {}),
      ...(queueEdit ? { queueDelivery: (trx, p: Post) => queueEdit(trx, p, me) } : {}),
    });
    return statusJson(c, viewer, post);
  });

  r.delete("/:id", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const viewer = viewerOf(c);
    const post = await getVisiblePost(deps.db, viewer, pathId(c));
    if (post.actor_id !== me.id || post.reblog_of_id) throw notFound();
    const rendered = await renderStatus(deps, viewer, post, { withSource: true });
    await deleteLocalPost(deps.db, me, post.id);
    return c.json(rendered);
  });

  r.get("/:id/history", optionalAuth(...READ), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const post = await getVisiblePost(deps.db, viewer, pathId(c));
    if (post.reblog_of_id) throw notFound();
    return c.json(await renderStatusEdits(deps, viewer, post, await postVersions(deps.db, post)));
  });

  r.get("/:id/source", requireAuth(...READ), async (c) => {
    const post = await getVisiblePost(c.get("deps").db, viewerOf(c), pathId(c));
    if (post.reblog_of_id) throw notFound();
    return c.json(renderStatusSource(post));
  });

  r.get("/:id/context", optionalAuth(...READ), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const post = await getVisiblePost(deps.db, viewer, pathId(c));
    const thread = await context(deps.db, viewer, post);
    const [ancestors, descendants] = await Promise.all([
      renderFilteredStatuses(deps, viewer, thread.ancestors, "thread"),
      renderFilteredStatuses(deps, viewer, thread.descendants, "thread"),
    ]);
    return c.json({ ancestors, descendants } satisfies MastodonContext);
  });

  r.post("/:id/favourite", requireAuth("write:favourites"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const original = await visibleOriginal(c, viewer, pathId(c));
    return statusJson(c, viewer, await like(deps.db, deps.config.origin, currentAccount(c), original.id));
  });

  r.post("/:id/unfavourite", requireAuth("write:favourites"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const original = await visibleOriginal(c, viewer, pathId(c));
    return statusJson(c, viewer, await unlike(deps.db, currentAccount(c), original.id));
  });

  r.post("/:id/bookmark", requireAuth("write:bookmarks"), async (c) => {
    return statusJson(c, viewerOf(c), await bookmark(c.get("deps").db, currentAccount(c), pathId(c)));
  });

  r.post("/:id/unbookmark", requireAuth("write:bookmarks"), async (c) => {
    return statusJson(c, viewerOf(c), await unbookmark(c.get("deps").db, currentAccount(c), pathId(c)));
  });

  r.post("/:id/pin", requireAuth("write:accounts"), async (c) => {
    return statusJson(c, viewerOf(c), await pin(c.get("deps").db, currentAccount(c), pathId(c)));
  });

  r.post("/:id/unpin", requireAuth("write:accounts"), async (c) => {
    return statusJson(c, viewerOf(c), await unpin(c.get("deps").db, currentAccount(c), pathId(c)));
  });

  r.post("/:id/reblog", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const id = pathId(c);
    const params = await readParams(c);
    const name = oneOf(params, "visibility", ["public", "unlisted", "private"] as const) ?? "public";
    const boosted = await boost(deps.db, deps.config.origin, currentAccount(c), id, scopeComposedAs(name)!);
    return statusJson(c, viewer, boosted);
  });

  r.post("/:id/unreblog", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    return statusJson(c, viewer, await unboost(deps.db, currentAccount(c), pathId(c)));
  });

  r.get("/:id/favourited_by", optionalAuth("read:accounts"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const post = await visibleOriginal(c, viewer, pathId(c));
    const entries = await likersOf(deps.db, post.id, pageParams(queryParams(c)));
    setLinkHeader(c, entries.map((e) => e.cursor));
    return c.json(await renderAccountList(deps, entries.map((e) => e.actor), viewer));
  });

  r.get("/:id/reblogged_by", optionalAuth("read:accounts"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const post = await visibleOriginal(c, viewer, pathId(c));
    const entries = await boostersOf(deps.db, viewer, post.id, pageParams(queryParams(c)));
    setLinkHeader(c, entries.map((e) => e.cursor));
    return c.json(await renderAccountList(deps, entries.map((e) => e.actor), viewer));
  });

  app.route("/api/v1/statuses", r);
}
