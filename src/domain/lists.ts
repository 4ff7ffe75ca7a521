/**
 * Lists: an account's own selections of the accounts it follows (or asked to
 * follow), each read as a timeline of its own (`list-timeline.ts`). Only the
 * owner knows a list: another's list and no list look the same. A member's
 * row hangs on the owner's follow, so ending the follow (unfollow, block,
 * rejection, a purge) takes the account off the owner's lists.
 */
import type { Db } from "../db/database.ts";
import type { Actor, RepliesPolicy } from "../db/schema.ts";
import { invalid, notFound } from "./errors.ts";
import { keysetPage, type Page } from "./paging.ts";

export const REPLIES_POLICIES: readonly RepliesPolicy[] = ["followed", "list", "none"];
/** Lists one account may have (Mastodon allows 50). */
export const MAX_LISTS = 50;
export const MAX_TITLE_CHARS = 200;

export interface List {
  id: string;
  ownerId: string;
  title: string;
  repliesPolicy: RepliesPolicy;
  exclusive: boolean;
}

export interface ListChanges {
  title?: string;
  repliesPolicy?: RepliesPolicy;
  exclusive?: boolean;
}

type ListRow = { id: string; owner_id: string; title: string; replies_policy: RepliesPolicy; exclusive: boolean };

function toList(r: ListRow): List {
  return { id: r.id, ownerId: r.owner_id, title: r.title, repliesPolicy: r.replies_policy, exclusive: r.exclusive };
}

function checkTitle(title: string): string {
  const t = title.trim();
  if (t === "") throw invalid("title must not be empty");
  if ([...t].length > MAX_TITLE_CHARS) throw invalid(`title: at most ${MAX_TITLE_CHARS} characters`);
  return t;
}

/** The owner's lists, oldest first (Mastodon lists them all, unpaged). */
export async function listsOf(db: Db, ownerId: string): Promise<List[]> {
  const rows = await db.selectFrom("lists").select(["id", "owner_id", "title", "replies_policy", "exclusive"])
    .where("owner_id", "=", ownerId).orderBy("id").limit(MAX_LISTS).execute();
  return rows.map(toList);
}

/** One of the owner's lists, if it is one. */
export async function ownedList(db: Db, ownerId: string, listId: string): Promise<List | undefined> {
  const row = await db.selectFrom("lists").select(["id", "owner_id", "title", "replies_policy", "exclusive"])
    .where("id", "=", listId).where("owner_id", "=", ownerId).executeTakeFirst();
  return row && toList(row);
}

/** One of the owner's lists; anyone else's is not found. */
export async function findList(db: Db, ownerId: string, listId: string): Promise<List> {
  const list = await ownedList(db, ownerId, listId);
  if (!list) throw notFound();
  return list;
}

export async function createList(db: Db, owner: Actor, input: ListChanges & { title: string }): Promise<List> {
  if (!owner.local) throw invalid("Only local accounts have lists");
  const title = checkTitle(input.title);
  return db.transaction().execute(async (trx) => {
    // Counted under a lock on the owner, so two requests at once cannot both pass the limit.
    await trx.selectFrom("actors").select("id").where("id", "=", owner.id).forUpdate().execute();
    const count = await trx.selectFrom("lists").select((eb) => eb.fn.countAll<string>().as("n"))
      .where("owner_id", "=", owner.id).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_LISTS) throw invalid(`You can have at most ${MAX_LISTS} lists`);
    const row = await trx.insertInto("lists").values({
      owner_id: owner.id, title, replies_policy: input.repliesPolicy ?? "list", exclusive: input.exclusive ?? false,
    }).returning(["id", "owner_id", "title", "replies_policy", "exclusive"]).executeTakeFirstOrThrow();
    return toList(row);
  });
}

export async function updateList(db: Db, ownerId: string, listId: string, changes: ListChanges): Promise<List> {
  const set = {
    ...(changes.title !== undefined ? { title: checkTitle(changes.title) } : {}),
    ...(changes.repliesPolicy !== undefined ? { replies_policy: changes.repliesPolicy } : {}),
    ...(changes.exclusive !== undefined ? { exclusive: changes.exclusive } : {}),
  };
  if (Object.keys(set).length === 0) return findList(db, ownerId, listId);
  const row = await db.updateTable("lists").set(set).where("id", "=", listId).where("owner_id", "=", ownerId)
    .returning(["id", "owner_id", "title", "replies_policy", "exclusive"]).executeTakeFirst();
  if (!row) throw notFound();
  return toList(row);
}

export async function deleteList(db: Db, ownerId: string, listId: string): Promise<void> {
  const res = await db.deleteFrom("lists").where("id", "=", listId).where("owner_id", "=", ownerId).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw notFound();
}

/** An account on a list, with its row id as the page cursor. */
export interface ListMember {
  cursor: string;
  actor: Actor;
}

/** The accounts on one of the owner's lists, newest addition first; `page` undefined: all of them. */
export async function listMembers(db: Db, ownerId: string, listId: string, page: Page | undefined): Promise<ListMember[]> {
  await findList(db, ownerId, listId);
  const q = db.selectFrom("list_accounts").innerJoin("actors", "actors.id", "list_accounts.actor_id")
    .selectAll("actors").select("list_accounts.id as list_account_id")
    .where("list_accounts.list_id", "=", listId);
  const rows = page ? await keysetPage(q, "list_accounts.id", page) : await q.orderBy("list_accounts.id", "desc").execute();
  return rows.map(({ list_account_id, ...actor }) => ({ cursor: list_account_id, actor }));
}

/**
 * Puts accounts on one of the owner's lists: each must exist (else not
 * found) and be followed or asked to be (else invalid); all or none.
 * An account already on it stays, once.
 */
export async function addToList(db: Db, ownerId: string, listId: string, accountIds: readonly string[]): Promise<void> {
  if (accountIds.length === 0) throw invalid("account_ids must name at least one account");
  await db.transaction().execute(async (trx) => {
    await findList(trx, ownerId, listId);
    const ids = [...new Set(accountIds)];
    const known = await trx.selectFrom("actors").select("id").where("id", "in", ids).execute();
    if (known.length !== ids.length) throw notFound("Account not found");
    // Locked until the rows are in: an unfollow at the same moment waits, then takes them off again.
    const follows = await trx.selectFrom("follows").select(["id", "followee_id"])
      .where("follower_id", "=", ownerId).where("followee_id", "in", ids).forUpdate().execute();
    if (follows.length !== ids.length) throw invalid("You can only add accounts you follow to a list");
    await trx.insertInto("list_accounts")
      .values(follows.map((f) => ({ list_id: listId, actor_id: f.followee_id, follow_id: f.id })))
      .onConflict((oc) => oc.columns(["list_id", "actor_id"]).doNothing())
      .execute();
  });
}

export async function removeFromList(db: Db, ownerId: string, listId: string, accountIds: readonly string[]): Promise<void> {
  await findList(db, ownerId, listId);
  if (accountIds.length === 0) return;
  await db.deleteFrom("list_accounts").where("list_id", "=", listId).where("actor_id", "in", [...new Set(accountIds)]).execute();
}

/** The owner's lists that `accountId` is on. */
export async function listsContaining(db: Db, ownerId: string, accountId: string): Promise<List[]> {
  const rows = await db.selectFrom("list_accounts").innerJoin("lists", "lists.id", "list_accounts.list_id")
    .select(["lists.id", "lists.owner_id", "lists.title", "lists.replies_policy", "lists.exclusive"])
    .where("list_accounts.actor_id", "=", accountId).where("lists.owner_id", "=", ownerId)
    .orderBy("lists.id").execute();
  return rows.map(toList);
}
