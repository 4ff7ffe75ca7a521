/**
 * Mastodon's lists (https://docs.joinmastodon.org/methods/lists/): an
 * account's own lists of accounts it follows, their members, which lists an
 * account is on, and a list's timeline. Someone else's list is a 404.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { invalid } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import { listTimeline } from "../../domain/list-timeline.ts";
import {
  addToList, createList, deleteList, findList, type List, listMembers, listsContaining, listsOf, REPLIES_POLICIES,
  removeFromList, updateList,
} from "../../domain/lists.ts";
import type { RepliesPolicy } from "../../db/schema.ts";
import { type ApiEnv, currentAccount, requireAuth, viewerOf } from "./auth.ts";
import { findAccount } from "./accounts.ts";
import { renderAccountList } from "./entities/account.ts";
import { renderFilteredStatuses } from "./filtering.ts";
import { limitParam, oneOf, optionalBoolean, optionalString, pageParams, type Params, pathId, queryParams, readParams, setLinkHeader } from "./params.ts";

/** https://docs.joinmastodon.org/entities/List/ */
export function renderList(list: List) {
  return { id: list.id, title: list.title, replies_policy: list.repliesPolicy, exclusive: list.exclusive };
}

function listChanges(params: Params) {
  const title = optionalString(params, "title");
  const repliesPolicy = oneOf<RepliesPolicy>(params, "replies_policy", REPLIES_POLICIES);
  const exclusive = optionalBoolean(params, "exclusive");
  return {
    ...(title !== undefined ? { title } : {}),
    ...(repliesPolicy !== undefined ? { repliesPolicy } : {}),
    ...(exclusive !== undefined ? { exclusive } : {}),
  };
}

/** At most this many accounts are added or removed in one request. */
const MAX_ACCOUNT_IDS = 100;

/** `account_ids[]=1&account_ids[]=2` (or JSON `account_ids`): every entry must be an id. */
function accountIds(params: Params): string[] {
  const v = params["account_ids"];
  const values = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  if (values.length > MAX_ACCOUNT_IDS) throw invalid(`account_ids: at most ${MAX_ACCOUNT_IDS}`);
  return values.map((x) => {
    const id = typeof x === "number" && Number.isSafeInteger(x) ? String(x) : x;
    if (!isRowId(id)) throw invalid("account_ids must be account ids");
    return id;
  });
}

export function mountLists(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/v1/lists", requireAuth("read:lists"), async (c) =>
    c.json((await listsOf(c.get("deps").db, currentAccount(c).id)).map(renderList)));

  r.post("/v1/lists", requireAuth("write:lists"), async (c) => {
    const changes = listChanges(await readParams(c));
    if (changes.title === undefined) throw invalid("title is required");
    return c.json(renderList(await createList(c.get("deps").db, currentAccount(c), { ...changes, title: changes.title })));
  });

  r.get("/v1/lists/:id", requireAuth("read:lists"), async (c) =>
    c.json(renderList(await findList(c.get("deps").db, currentAccount(c).id, pathId(c)))));

  r.put("/v1/lists/:id", requireAuth("write:lists"), async (c) => {
    const id = pathId(c);
    const changes = listChanges(await readParams(c));
    return c.json(renderList(await updateList(c.get("deps").db, currentAccount(c).id, id, changes)));
  });

  r.delete("/v1/lists/:id", requireAuth("write:lists"), async (c) => {
    await deleteList(c.get("deps").db, currentAccount(c).id, pathId(c));
    return c.json({});
  });

  r.get("/v1/lists/:id/accounts", requireAuth("read:lists"), async (c) => {
    const deps = c.get("deps");
    const params = queryParams(c);
    // Mastodon: 40 by default, at most 80; `limit=0` lists them all.
    const all = optionalString(params, "limit")?.trim() === "0";
    const page = all ? undefined : { ...pageParams({ ...params, limit: undefined }), limit: limitParam(params, 40, 80) };
    const members = await listMembers(deps.db, currentAccount(c).id, pathId(c), page);
    if (page) setLinkHeader(c, members.map((m) => m.cursor));
    return c.json(await renderAccountList(deps, members.map((m) => m.actor), viewerOf(c)));
  });

  r.post("/v1/lists/:id/accounts", requireAuth("write:lists"), async (c) => {
    const id = pathId(c);
    await addToList(c.get("deps").db, currentAccount(c).id, id, accountIds(await readParams(c)));
    return c.json({});
  });

  r.delete("/v1/lists/:id/accounts", requireAuth("write:lists"), async (c) => {
    const id = pathId(c);
    await removeFromList(c.get("deps").db, currentAccount(c).id, id, accountIds(await readParams(c)));
    return c.json({});
  });

  r.get("/v1/accounts/:id/lists", requireAuth("read:lists"), async (c) => {
    const deps = c.get("deps");
    const account = await findAccount(deps.db, pathId(c));
    return c.json((await listsContaining(deps.db, currentAccount(c).id, account.id)).map(renderList));
  });

  r.get("/v1/timelines/list/:list_id", requireAuth("read:lists"), async (c) => {
    const deps = c.get("deps");
    const list = await findList(deps.db, currentAccount(c).id, pathId(c, "list_id"));
    const posts = await listTimeline(deps.db, list, pageParams(queryParams(c)));
    setLinkHeader(c, posts.map((p) => p.id));
    return c.json(await renderFilteredStatuses(deps, viewerOf(c), posts, "home"));
  });

  app.route("/api", r);
}
