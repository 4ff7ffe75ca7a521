/**
 * Filters: what an account chooses not to read, by keyword or by post, in
 * some contexts (home and lists, notifications, public timelines, threads,
 * profiles). A filter warns (the post is shown folded, with the reason), blurs
 * its media, or hides the post. Matching is on the post's text (`matchFilters`,
 * pure); the edges apply it to what they list, as mutes are applied.
 * Another account's filter and no filter look the same.
 */
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, FilterAction, FilterContext } from "../db/schema.ts";
import { invalid, notFound } from "./errors.ts";
import { canView, type Viewer } from "./visibility.ts";

export const FILTER_CONTEXTS: readonly FilterContext[] = ["home", "notifications", "public", "thread", "account"];
export const FILTER_ACTIONS: readonly FilterAction[] = ["warn", "hide", "blur"];
export const MAX_FILTERS = 100;
export const MAX_KEYWORDS = 100;
export const MAX_FILTER_STATUSES = 500;
const MAX_TITLE_CHARS = 200;
const MAX_KEYWORD_CHARS = 200;
/** expires_in: at most a year (Mastodon allows any; nobody asks for more). */
export const MAX_EXPIRES_IN = 366 * 24 * 3600;

export interface FilterKeyword {
  id: string;
  filterId: string;
  keyword: string;
  wholeWord: boolean;
}

export interface FilterStatus {
  id: string;
  filterId: string;
  postId: string;
}

export interface Filter {
  id: string;
  title: string;
  context: FilterContext[];
  action: FilterAction;
  expiresAt: Date | null;
  keywords: FilterKeyword[];
  statuses: FilterStatus[];
}

export interface FilterChanges {
  title?: string;
  context?: readonly string[];
  action?: FilterAction;
  /** seconds from now; null: never expires; absent: unchanged */
  expiresIn?: number | null;
}

export interface KeywordChange {
  /** an existing keyword of the filter; absent: a new one */
  id?: string;
  keyword?: string;
  wholeWord?: boolean;
  destroy?: boolean;
}

function checkTitle(title: string): string {
  const t = title.trim();
  if (t === "") throw invalid("title must not be empty");
  if ([...t].length > MAX_TITLE_CHARS) throw invalid(`title: at most ${MAX_TITLE_CHARS} characters`);
  return t;
}

function checkContext(context: readonly string[]): FilterContext[] {
  if (context.length === 0) throw invalid("context must name at least one of " + FILTER_CONTEXTS.join(", "));
  for (const c of context) {
    if (!(FILTER_CONTEXTS as readonly string[]).includes(c)) throw invalid(`context must be among ${FILTER_CONTEXTS.join(", ")}`);
  }
  return [...new Set(context)] as FilterContext[];
}

function checkKeyword(keyword: string): string {
  const k = keyword.trim();
  if (k === "") throw invalid("keyword must not be empty");
  if ([...k].length > MAX_KEYWORD_CHARS) throw invalid(`keyword: at most ${MAX_KEYWORD_CHARS} characters`);
  return k;
}

function expiry(expiresIn: number | null): Date | null {
  if (expiresIn === null) return null;
  if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0 || expiresIn > MAX_EXPIRES_IN) {
    throw invalid(`expires_in must be 1 to ${MAX_EXPIRES_IN} seconds`);
  }
  return new Date(Date.now() + expiresIn * 1000);
}

type FilterRow = { id: string; title: string; context: FilterContext[]; action: FilterAction; expires_at: Date | null };

/** The filters of these rows with their keywords and posts (two more queries). */
async function withParts(db: Db, rows: FilterRow[]): Promise<Filter[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [keywords, statuses] = await Promise.all([
    db.selectFrom("filter_keywords").selectAll().where("filter_id", "in", ids).orderBy("id").execute(),
    db.selectFrom("filter_statuses").selectAll().where("filter_id", "in", ids).orderBy("id").execute(),
  ]);
  return rows.map((r) => ({
    id: r.id, title: r.title, context: r.context, action: r.action, expiresAt: r.expires_at,
    keywords: keywords.filter((k) => k.filter_id === r.id)
      .map((k) => ({ id: k.id, filterId: k.filter_id, keyword: k.keyword, wholeWord: k.whole_word })),
    statuses: statuses.filter((s) => s.filter_id === r.id).map((s) => ({ id: s.id, filterId: s.filter_id, postId: s.post_id })),
  }));
}

const FILTER_COLUMNS = ["filters.id", "filters.title", "filters.context", "filters.action", "filters.expires_at"] as const;

/** All of the owner's filters, expired ones too (Mastodon lists them), oldest first. */
export async function listFilters(db: Db, ownerId: string): Promise<Filter[]> {
  const rows = await db.selectFrom("filters").select(FILTER_COLUMNS).where("owner_id", "=", ownerId)
    .orderBy("id").limit(MAX_FILTERS).execute();
  return withParts(db, rows);
}

/** The owner's filters that apply now in `context`. */
export async function activeFilters(db: Db, ownerId: string, context: FilterContext): Promise<Filter[]> {
  const rows = await db.selectFrom("filters").select(FILTER_COLUMNS)
    .where("owner_id", "=", ownerId)
    .where(sql<boolean>`${context} = any(filters.context)`)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", sql<Date>`now()`)]))
    .orderBy("id").limit(MAX_FILTERS).execute();
  return withParts(db, rows);
}

export async function findFilter(db: Db, ownerId: string, filterId: string): Promise<Filter> {
  const row = await db.selectFrom("filters").select(FILTER_COLUMNS)
    .where("id", "=", filterId).where("owner_id", "=", ownerId).executeTakeFirst();
  if (!row) throw notFound();
  return (await withParts(db, [row]))[0]!;
}

async function applyKeywordChanges(trx: Db, filterId: string, changes: readonly KeywordChange[]): Promise<void> {
  for (const change of changes) {
    if (change.id === undefined) {
      if (change.destroy) continue;
      if (change.keyword === undefined) throw invalid("keyword is required");
      await trx.insertInto("filter_keywords")
        .values({ filter_id: filterId, keyword: checkKeyword(change.keyword), whole_word: change.wholeWord ?? true }).execute();
      continue;
    }
    let changed: bigint;
    if (change.destroy) {
      const res = await trx.deleteFrom("filter_keywords").where("id", "=", change.id).where("filter_id", "=", filterId).executeTakeFirst();
      changed = res.numDeletedRows;
    } else {
      if (change.keyword === undefined && change.wholeWord === undefined) continue;
      const res = await trx.updateTable("filter_keywords").set({
        ...(change.keyword !== undefined ? { keyword: checkKeyword(change.keyword) } : {}),
        ...(change.wholeWord !== undefined ? { whole_word: change.wholeWord } : {}),
      }).where("id", "=", change.id).where("filter_id", "=", filterId).executeTakeFirst();
      changed = res.numUpdatedRows;
    }
    if (Number(changed) === 0) throw notFound("Keyword not found");
  }
  const count = await trx.selectFrom("filter_keywords").select((eb) => eb.fn.countAll<string>().as("n"))
    .where("filter_id", "=", filterId).executeTakeFirstOrThrow();
  if (Number(count.n) > MAX_KEYWORDS) throw invalid(`A filter has at most ${MAX_KEYWORDS} keywords`);
}

export async function createFilter(db: Db, owner: Actor, input: FilterChanges & { title: string; context: readonly string[] }, keywords: readonly KeywordChange[] = []): Promise<Filter> {
  if (!owner.local) throw invalid("Only local accounts have filters");
  const values = {
    owner_id: owner.id,
    title: checkTitle(input.title),
    context: checkContext(input.context),
    action: input.action ?? "warn",
    expires_at: expiry(input.expiresIn ?? null),
  };
  const id = await db.transaction().execute(async (trx) => {
    await trx.selectFrom("actors").select("id").where("id", "=", owner.id).forUpdate().execute();
    const count = await trx.selectFrom("filters").select((eb) => eb.fn.countAll<string>().as("n"))
      .where("owner_id", "=", owner.id).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_FILTERS) throw invalid(`You can have at most ${MAX_FILTERS} filters`);
    const row = await trx.insertInto("filters").values({ ...values, context: sql<FilterContext[]>`${values.context}::text[]` })
      .returning("id").executeTakeFirstOrThrow();
    await applyKeywordChanges(trx, row.id, keywords.filter((k) => k.id === undefined));
    return row.id;
  });
  return findFilter(db, owner.id, id);
}

export async function updateFilter(db: Db, ownerId: string, filterId: string, changes: FilterChanges, keywords: readonly KeywordChange[] = []): Promise<Filter> {
  const set = {
    ...(changes.title !== undefined ? { title: checkTitle(changes.title) } : {}),
    ...(changes.context !== undefined ? { context: sql<FilterContext[]>`${checkContext(changes.context)}::text[]` } : {}),
    ...(changes.action !== undefined ? { action: changes.action } : {}),
    ...(changes.expiresIn !== undefined ? { expires_at: expiry(changes.expiresIn) } : {}),
  };
  await db.transaction().execute(async (trx) => {
    await findFilter(trx, ownerId, filterId);
    if (Object.keys(set).length > 0) await trx.updateTable("filters").set(set).where("id", "=", filterId).execute();
    await applyKeywordChanges(trx, filterId, keywords);
  });
  return findFilter(db, ownerId, filterId);
}

export async function deleteFilter(db: Db, ownerId: string, filterId: string): Promise<void> {
  const res = await db.deleteFrom("filters").where("id", "=", filterId).where("owner_id", "=", ownerId).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw notFound();
}

export async function addKeyword(db: Db, ownerId: string, filterId: string, keyword: { keyword: string; wholeWord?: boolean }): Promise<FilterKeyword> {
  return db.transaction().execute(async (trx) => {
    await findFilter(trx, ownerId, filterId);
    await applyKeywordChanges(trx, filterId, [keyword]);
    const row = await trx.selectFrom("filter_keywords").selectAll().where("filter_id", "=", filterId)
      .orderBy("id", "desc").limit(1).executeTakeFirstOrThrow();
    return { id: row.id, filterId: row.filter_id, keyword: row.keyword, wholeWord: row.whole_word };
  });
}

/** One of the owner's keywords, with its filter. */
export async function findKeyword(db: Db, ownerId: string, keywordId: string): Promise<FilterKeyword> {
  const row = await db.selectFrom("filter_keywords").innerJoin("filters", "filters.id", "filter_keywords.filter_id")
    .selectAll("filter_keywords").where("filter_keywords.id", "=", keywordId).where("filters.owner_id", "=", ownerId)
    .executeTakeFirst();
  if (!row) throw notFound();
  return { id: row.id, filterId: row.filter_id, keyword: row.keyword, wholeWord: row.whole_word };
}

export async function updateKeyword(db: Db, ownerId: string, keywordId: string, change: { keyword?: string; wholeWord?: boolean }): Promise<FilterKeyword> {
  const found = await findKeyword(db, ownerId, keywordId);
  await db.transaction().execute((trx) => applyKeywordChanges(trx, found.filterId, [{ ...change, id: keywordId }]));
  return findKeyword(db, ownerId, keywordId);
}

export async function deleteKeyword(db: Db, ownerId: string, keywordId: string): Promise<void> {
  const found = await findKeyword(db, ownerId, keywordId);
  await db.deleteFrom("filter_keywords").where("id", "=", found.id).execute();
}

/** Filters a post the owner may see (another post is not found); once per filter. */
export async function addFilterStatus(db: Db, ownerId: string, filterId: string, postId: string): Promise<FilterStatus> {
  const viewer: Viewer = { kind: "local", actorId: ownerId };
  return db.transaction().execute(async (trx) => {
    const filter = await findFilter(trx, ownerId, filterId);
    if (!(await canView(trx, viewer, postId))) throw notFound("Status not found");
    if (filter.statuses.length >= MAX_FILTER_STATUSES) throw invalid(`A filter has at most ${MAX_FILTER_STATUSES} posts`);
    const row = await trx.insertInto("filter_statuses").values({ filter_id: filterId, post_id: postId })
      .onConflict((oc) => oc.columns(["filter_id", "post_id"]).doUpdateSet({ post_id: postId }))
      .returningAll().executeTakeFirstOrThrow();
    return { id: row.id, filterId: row.filter_id, postId: row.post_id };
  });
}

export async function findFilterStatus(db: Db, ownerId: string, filterStatusId: string): Promise<FilterStatus> {
  const row = await db.selectFrom("filter_statuses").innerJoin("filters", "filters.id", "filter_statuses.filter_id")
    .selectAll("filter_statuses").where("filter_statuses.id", "=", filterStatusId).where("filters.owner_id", "=", ownerId)
    .executeTakeFirst();
  if (!row) throw notFound();
  return { id: row.id, filterId: row.filter_id, postId: row.post_id };
}

export async function deleteFilterStatus(db: Db, ownerId: string, filterStatusId: string): Promise<void> {
  const found = await findFilterStatus(db, ownerId, filterStatusId);
  await db.deleteFrom("filter_statuses").where("id", "=", found.id).execute();
}

/** Why a post is filtered: the filter, and the keywords or the post that matched. */
export interface FilterMatch {
  filter: Filter;
  keywordMatches: string[] | null;
  statusMatches: string[] | null;
}

/** A letter, digit, combining mark or underscore: what `\b` counts as a word character, for every script. */
const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** A keyword's pattern: case-insensitive; a whole word is not preceded or followed by a word character. */
export function keywordPattern(keyword: string, wholeWord: boolean): RegExp {
  let source = escapeRegExp(keyword);
  if (wholeWord) {
    const chars = [...keyword];
    if (WORD_CHAR.test(chars[0] ?? "")) source = `(?<![\\p{L}\\p{N}\\p{M}_])${source}`;
    if (WORD_CHAR.test(chars.at(-1) ?? "")) source = `${source}(?![\\p{L}\\p{N}\\p{M}_])`;
  }
  return new RegExp(source, "iu");
}

/** The filters among `filters` that match a post (its plain text and spoiler, `text`). */
export function matchFilters(filters: readonly Filter[], post: { id: string; text: string }): FilterMatch[] {
  const matches: FilterMatch[] = [];
  for (const filter of filters) {
    const keywords = filter.keywords.filter((k) => keywordPattern(k.keyword, k.wholeWord).test(post.text)).map((k) => k.keyword);
    const statuses = filter.statuses.filter((s) => s.postId === post.id).map((s) => s.postId);
    if (keywords.length === 0 && statuses.length === 0) continue;
    matches.push({ filter, keywordMatches: keywords.length ? keywords : null, statusMatches: statuses.length ? statuses : null });
  }
  return matches;
}
