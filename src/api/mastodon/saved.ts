import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { listBlocks } from "../../domain/blocks.ts";
import { listMutes } from "../../domain/mutes.ts";
import { listBookmarks, listFavourites, type PostEntry } from "../../domain/saved-posts.ts";
import { type ApiContext, type ApiEnv, currentAccount, requireAuth, viewerOf } from "./auth.ts";
import { renderAccountList } from "./entities/account.ts";
import { renderStatuses } from "./entities/status.ts";
import { pageParams, queryParams, setLinkHeader } from "./params.ts";

/** A page of an account's saved posts, paged (Link header) on the saving's row id as Mastodon does. */
async function postEntries(c: ApiContext, entries: PostEntry[]) {
  setLinkHeader(c, entries.map((e) => e.cursor));
  return c.json(await renderStatuses(c.get("deps"), viewerOf(c), entries.map((e) => e.post)));
}

/** The signed-in account's own lists: /api/v1/bookmarks, /favourites, /blocks, /mutes. */
export function mountSavedLists(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/bookmarks", requireAuth("read:bookmarks"), async (c) =>
    postEntries(c, await listBookmarks(c.get("deps").db, currentAccount(c).id, pageParams(queryParams(c)))));

  r.get("/favourites", requireAuth("read:favourites"), async (c) =>
    postEntries(c, await listFavourites(c.get("deps").db, currentAccount(c).id, pageParams(queryParams(c)))));

  r.get("/blocks", requireAuth("read:blocks"), async (c) => {
    const deps = c.get("deps");
    const entries = await listBlocks(deps.db, currentAccount(c).id, pageParams(queryParams(c)));
    setLinkHeader(c, entries.map((e) => e.cursor));
    return c.json(await renderAccountList(deps, entries.map((e) => e.actor), viewerOf(c)));
  });

  r.get("/mutes", requireAuth("read:mutes"), async (c) => {
    const deps = c.get("deps");
    const entries = await listMutes(deps.db, currentAccount(c).id, pageParams(queryParams(c)));
    setLinkHeader(c, entries.map((e) => e.cursor));
    const accounts = await renderAccountList(deps, entries.map((e) => e.actor), viewerOf(c));
    // Mastodon 4.3: each muted account says when its mute ends.
    return c.json(accounts.map((a, i) => ({ ...a, mute_expires_at: entries[i]!.expiresAt?.toISOString() ?? null })));
  });

  app.route("/api/v1", r);
}
