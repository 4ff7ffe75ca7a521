/**
 * Collections of local actors and posts: outbox, followers, following,
 * featured, and the replies of each post.
 *
 * Paging is by keyset on row ids, never by offset: a page's cursor is the
 * last id seen ("" for the first page), and the next page continues strictly
 * after it, so concurrent inserts and deletes never repeat or skip an item.
 * What depends on the requester goes through the domain's rules with the
 * viewer from the request signature: the visibility rule for outbox items and
 * replies, `canSeeNetwork` for followers and following.
 */
import type { Context, Federation, RequestContext } from "@fedify/fedify";
import { isRowId } from "../src/domain/ids.ts";
import { type Activity, Article, Document, Event, Note, Object as APObject, Page, Question } from "@fedify/vocab";
import type { Db } from "../src/db/database.ts";
import type { Actor, ObjectType, Post } from "../src/db/schema.ts";
import { actorPosts, countActorPosts, replies } from "../src/domain/timelines.ts";
import { localObjectIri, objectPathPrefix, paths } from "../src/domain/urls.ts";
import type { AppContext } from "../src/context.ts";
import { findVisibleLocalPost, originalsOf } from "../src/domain/posts/read.ts";
import { findActorsByIds } from "../src/domain/remote-actors.ts";
import { pinnedPosts } from "../src/domain/pins.ts";
import {
  announceActivity,
  createActivity,
  NotFederatedError,
  renderPost,
  repliesCollectionName,
} from "./translate/outbound.ts";
import { viewerFromRequest } from "./viewer.ts";
import { loadPostDetails } from "../src/domain/post-details.ts";
import { canSeeNetwork, countFollows, hidesNetwork, listFollowers, listFollowing } from "../src/domain/relationships.ts";
import { readableByAnyone } from "../src/domain/visibility.ts";
import { markPrivate } from "./private-answers.ts";
import { findLocalActor as findLocalAccount } from "../src/domain/accounts.ts";
import { findGroup } from "../src/domain/groups.ts";
import { canSeeMembers, countMembers, listMemberships } from "../src/domain/membership.ts";

/** Items per page. */
export const PAGE_SIZE = { outbox: 20, actors: 40, replies: 20 } as const;


/** A cursor we handed out: "" (first page) or a row id. Anything else is no cursor of ours. */
function parseCursor(cursor: string): { after?: string } | null {
  if (cursor === "") return {};
  return isRowId(cursor) ? { after: cursor } : null;
}

/** The collection's owner; every collection of a closed or secret group is closed (private-answers.ts). */
async function findLocalActor(ctx: Context<AppContext>, identifier: string): Promise<Actor | undefined> {
  const actor = await findLocalAccount(ctx.data.db, ctx.data.config.origin, identifier);
  if (actor?.type === "Group" && isRequestContext(ctx)) {
    const group = await findGroup(ctx.data.db, actor.id);
    if (group?.settings && group.settings.visibility !== "public") markPrivate(ctx.request);
  }
  return actor;
}

/** Splits `limit + 1` rows into a page and the cursor of the next one. */
function paginate<T extends { id: string }>(rows: T[], limit: number): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { page, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}

/* ---------------- outbox ---------------- */

async function outboxItems(ctx: RequestContext<AppContext>, actor: Actor, posts: Post[]): Promise<Activity[]> {
  const db = ctx.data.db;
  const own = posts.filter((p) => !p.reblog_of_id);
  const boosts = posts.filter((p) => p.reblog_of_id);
  const [details, originalById] = await Promise.all([
    loadPostDetails(db, own),
    originalsOf(db, boosts),
  ]);
  const items: Activity[] = [];
  for (const post of posts) {
    try {
      if (post.reblog_of_id) {
        const original = originalById.get(post.reblog_of_id);
        if (original) items.push(announceActivity(ctx, post, actor, original, { iri: original.authorIri }));
      } else {
        items.push(await createActivity(ctx, post, actor, details.get(post.id)));
      }
    } catch (error) {
      if (!(error instanceof NotFederatedError)) throw error;
    }
  }
  return items;
}

/* ---------------- followers / following ---------------- */

function toUrl(value: string | null): URL | null {
  if (!value) return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * Followers of a local actor for a collection page (or all, FEP-8fcf filtered,
 * when `limit` is absent). A group's followers are its current members.
 */
async function followPage(db: Db, direction: "followers" | "following", actor: Actor, page: { after?: string; limit?: number; baseUrl?: URL }) {
  if (actor.type === "Group" && direction === "followers") {
    const entries = await listMemberships(db, actor.id, "member", {
      ...(page.after ? { maxId: page.after } : {}),
      limit: page.limit ?? MAX_SYNCHRONISED_FOLLOWERS,
    }, page.baseUrl ? { actorIriPrefix: `${page.baseUrl.origin}/` } : undefined);
    return entries.map((e) => ({ id: e.cursor, actor: e.actor }));
  }
  const actorId = actor.id;
  const list = direction === "followers" ? listFollowers : listFollowing;
  const entries = await list(db, actorId, {
    ...(page.after ? { maxId: page.after } : {}),
    limit: page.limit ?? MAX_SYNCHRONISED_FOLLOWERS,
  }, page.baseUrl ? { actorIriPrefix: `${page.baseUrl.origin}/` } : undefined);
  return entries.map((e) => ({ id: e.cursor, actor: e.actor }));
}

/**
 * May the requester see who follows `actor` and whom it follows (the domain's
 * one rule)? A context without a request is Fedify expanding "followers" to
 * deliver an activity: no reader, so nothing to hide.
 */
async function networkVisible(ctx: Context<AppContext>, actor: Actor): Promise<boolean> {
  if (!isRequestContext(ctx)) return true;
  if (hidesNetwork(actor)) markPrivate(ctx.request);
  const viewer = await viewerFromRequest(ctx);
  if (actor.type === "Group") {
    const group = await findGroup(ctx.data.db, actor.id);
    return group !== undefined && canSeeMembers(ctx.data.db, viewer, group);
  }
  return canSeeNetwork(ctx.data.db, viewer, actor);
}

function isRequestContext(ctx: Context<AppContext>): ctx is RequestContext<AppContext> {
  return (ctx as Partial<RequestContext<AppContext>>).request instanceof Request;
}

/** Fedify's one-shot expansion of a followers collection reads at most this many. */
const MAX_SYNCHRONISED_FOLLOWERS = 100_000;

/* ---------------- replies ---------------- */

const REPLIES_PATHS = {
  Note: "/notes/{id}/replies",
  Article: "/articles/{id}/replies",
  Page: "/pages/{id}/replies",
  Event: "/events/{id}/replies",
  Document: "/documents/{id}/replies",
  Question: "/questions/{id}/replies",
} as const satisfies Record<ObjectType, `${string}{id}/replies`>;

const OBJECT_CLASSES = { Note, Article, Page, Event, Document, Question } as const;

/** A reply by reference: a remote one is fetched from its own origin by whoever reads the collection. */
function stub(post: Post): APObject {
  return new OBJECT_CLASSES[post.type]({ id: new URL(post.iri) });
}

async function repliesItems(ctx: RequestContext<AppContext>, rows: Post[]): Promise<APObject[]> {
  const db = ctx.data.db;
  const local = rows.filter((r) => r.local);
  const [details, authors] = await Promise.all([
    loadPostDetails(db, local),
    findActorsByIds(db, local.map((r) => r.actor_id)),
  ]);
  const authorById = new Map(authors.map((a) => [a.id, a]));
  const items: APObject[] = [];
  for (const row of rows) {
    const author = authorById.get(row.actor_id);
    if (!row.local || !author) {
      items.push(stub(row));
      continue;
    }
    try {
      items.push(await renderPost(ctx, row, author, details.get(row.id)));
    } catch (error) {
      if (!(error instanceof NotFederatedError)) throw error;
    }
  }
  return items;
}

export function registerCollections(federation: Federation<AppContext>): void {
  federation
    .setOutboxDispatcher(paths.outbox, async (ctx, identifier, cursor) => {
      const actor = await findLocalActor(ctx, identifier);
      if (!actor) return null;
      const parsed = parseCursor(cursor ?? "");
      if (!parsed) return null;
      const viewer = await viewerFromRequest(ctx);
      const rows = await actorPosts(ctx.data.db, viewer, actor.id, {
        ...(parsed.after ? { maxId: parsed.after } : {}),
        limit: PAGE_SIZE.outbox + 1,
      });
      const { page, nextCursor } = paginate(rows, PAGE_SIZE.outbox);
      return { items: await outboxItems(ctx, actor, page), nextCursor };
    })
    .setCounter(async (ctx, identifier) => {
      const actor = await findLocalActor(ctx, identifier);
      return actor ? countActorPosts(ctx.data.db, await viewerFromRequest(ctx), actor.id) : null;
    })
    .setFirstCursor(async (ctx, identifier) => ((await findLocalActor(ctx, identifier)) ? "" : null));

  // Followers and following: a hidden network shows its totals only (as Mastodon does).
  federation
    .setFollowersDispatcher(paths.followers, async (ctx, identifier, cursor, filter) => {
      const actor = await findLocalActor(ctx, identifier);
      if (!actor) return null;
      const visible = await networkVisible(ctx, actor);
      if (cursor === null) {
        // The HTTP collection of a hidden network (totals only), or Fedify's own
        // one-shot expansion of "followers" (send.ts never asks for it).
        if (!visible) return { items: [] };
        const all = await followPage(ctx.data.db, "followers", actor, filter ? { baseUrl: filter } : {});
        return { items: all.map(recipient) };
      }
      if (!visible) return null;
      const parsed = parseCursor(cursor);
      if (!parsed) return null;
      const rows = await followPage(ctx.data.db, "followers", actor, {
        ...parsed, limit: PAGE_SIZE.actors + 1, ...(filter ? { baseUrl: filter } : {}),
      });
      const { page, nextCursor } = paginate(rows, PAGE_SIZE.actors);
      return { items: page.map(recipient), nextCursor };
    })
    .setCounter(async (ctx, identifier) => {
      const actor = await findLocalActor(ctx, identifier);
      if (!actor) return null;
      return actor.type === "Group" ? countMembers(ctx.data.db, actor.id) : countFollows(ctx.data.db, actor.id, "followers");
    })
    .setFirstCursor(async (ctx, identifier) => {
      const actor = await findLocalActor(ctx, identifier);
      return actor && await networkVisible(ctx, actor) ? "" : null;
    });

  federation
    .setFollowingDispatcher(paths.following, async (ctx, identifier, cursor) => {
      const actor = await findLocalActor(ctx, identifier);
      if (!actor) return null;
      if (!(await networkVisible(ctx, actor))) return cursor === null ? { items: [] } : null;
      const parsed = parseCursor(cursor ?? "");
      if (!parsed) return null;
      const rows = await followPage(ctx.data.db, "following", actor, { ...parsed, limit: PAGE_SIZE.actors + 1 });
      const { page, nextCursor } = paginate(rows, PAGE_SIZE.actors);
      return { items: page.flatMap((r) => toUrl(r.actor.iri) ?? []), nextCursor };
    })
    .setCounter(async (ctx, identifier) => {
      const actor = await findLocalActor(ctx, identifier);
      return actor ? countFollows(ctx.data.db, actor.id, "following") : null;
    })
    .setFirstCursor(async (ctx, identifier) => {
      const actor = await findLocalActor(ctx, identifier);
      return actor && await networkVisible(ctx, actor) ? "" : null;
    });

  // Pinned posts (at most MAX_PINS, so one page), as the requester may see them, embedded.
  federation
    .setFeaturedDispatcher(paths.featured, async (ctx, identifier) => {
      const actor = await findLocalActor(ctx, identifier);
      if (!actor) return null;
      const posts = await featuredPosts(ctx, actor);
      const details = await loadPostDetails(ctx.data.db, posts);
      const items: APObject[] = [];
      for (const post of posts) {
        try {
          items.push(await renderPost(ctx, post, actor, details.get(post.id)));
        } catch (error) {
          if (!(error instanceof NotFederatedError)) throw error;
        }
      }
      return { items };
    })
    .setCounter(async (ctx, identifier) => {
      const actor = await findLocalActor(ctx, identifier);
      return actor ? (await featuredPosts(ctx, actor)).length : null;
    });

  for (const type of Object.keys(REPLIES_PATHS) as ObjectType[]) {
    const visibleParent = async (ctx: RequestContext<AppContext>, slug: string): Promise<Post | undefined> => {
      const iri = localObjectIri(ctx.data.config.origin, type, slug);
      if (iri === null) return undefined;
      const parent = await findVisibleLocalPost(ctx.data.db, await viewerFromRequest(ctx), { iri });
      if (parent && !readableByAnyone(parent.visibility)) markPrivate(ctx.request);
      return parent;
    };
    federation
      .setCollectionDispatcher<APObject, "id">(repliesCollectionName(type), APObject, REPLIES_PATHS[type], async (ctx, values, cursor) => {
        const parent = await visibleParent(ctx, values.id);
        if (!parent) return null;
        const parsed = parseCursor(cursor ?? "");
        if (!parsed) return null;
        const viewer = await viewerFromRequest(ctx);
        const rows = await replies(ctx.data.db, viewer, parent.id, {
          ...(parsed.after ? { afterId: parsed.after } : {}),
          limit: PAGE_SIZE.replies + 1,
        });
        const { page, nextCursor } = paginate(rows, PAGE_SIZE.replies);
        return { items: await repliesItems(ctx, page), nextCursor };
      })
      .setFirstCursor(async (ctx, values) => ((await visibleParent(ctx, values.id)) ? "" : null));
  }
}

/** The actor's pinned posts that the requester may see; closed ones make the answer private. */
async function featuredPosts(ctx: RequestContext<AppContext>, actor: Actor): Promise<Post[]> {
  const posts = await pinnedPosts(ctx.data.db, await viewerFromRequest(ctx), actor.id);
  if (posts.some((p) => !readableByAnyone(p.visibility))) markPrivate(ctx.request);
  return posts;
}

function recipient({ actor }: { actor: Actor }) {
  const sharedInbox = toUrl(actor.shared_inbox_url);
  return { id: new URL(actor.iri), inboxId: toUrl(actor.inbox_url), endpoints: sharedInbox ? { sharedInbox } : null };
}

/** The path prefix of each type's replies collection matches its object path (checked at start-up). */
for (const [type, path] of Object.entries(REPLIES_PATHS) as Array<[ObjectType, string]>) {
  if (!path.startsWith(objectPathPrefix[type])) throw new Error(`Replies path of ${type} does not match its object path`);
}
