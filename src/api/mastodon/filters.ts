/**
 * Mastodon's filters (https://docs.joinmastodon.org/methods/filters/): v2
 * filters with their keywords and posts, and v1, which Mastodon 4 maps onto
 * v2 (each v1 filter is one keyword of a v2 filter of its own title).
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import type { FilterAction } from "../../db/schema.ts";
import { invalid } from "../../domain/errors.ts";
import {
  addFilterStatus, addKeyword, createFilter, deleteFilter, deleteFilterStatus, deleteKeyword, FILTER_ACTIONS, type FilterChanges,
  findFilter, findFilterStatus, findKeyword, type KeywordChange, listFilters, updateFilter, updateKeyword,
} from "../../domain/filters.ts";
import { isRowId } from "../../domain/ids.ts";
import { type ApiEnv, currentAccount, requireAuth } from "./auth.ts";
import { renderFilter, renderFilterKeyword, renderFilterStatus, renderV1Filters } from "./entities/filter.ts";
import { oneOf, optionalBoolean, optionalInteger, optionalString, type Params, pathId, readParams } from "./params.ts";

/** `context[]=home&context[]=public` (or JSON `context`): names, checked by the domain. */
function contextParam(params: Params): string[] | undefined {
  const v = params["context"];
  if (v === undefined || v === null) return undefined;
  const values = Array.isArray(v) ? v : [v];
  if (!values.every((x): x is string => typeof x === "string")) throw invalid("context must be a list of names");
  return values;
}

/** expires_in: seconds, or empty for never (absent: unchanged). */
function expiresInParam(params: Params): number | null | undefined {
  const raw = params["expires_in"];
  if (raw === undefined) return undefined;
  if (raw === null || raw === "") return null;
  const n = optionalInteger(params, "expires_in");
  return n ?? null;
}

function filterChanges(params: Params): FilterChanges {
  const title = optionalString(params, "title");
  const context = contextParam(params);
  const action = oneOf<FilterAction>(params, "filter_action", FILTER_ACTIONS);
  const expiresIn = expiresInParam(params);
  return {
    ...(title !== undefined ? { title } : {}),
    ...(context !== undefined ? { context } : {}),
    ...(action !== undefined ? { action } : {}),
    ...(expiresIn !== undefined ? { expiresIn } : {}),
  };
}

/**
 * `keywords_attributes` as Mastodon takes it: a JSON list (or index-keyed
 * object) of `{ id, keyword, whole_word, _destroy }`, or form keys
 * `keywords_attributes[0][keyword]`, or `keywords_attributes[][keyword]` in order.
 */
function keywordChanges(params: Params): KeywordChange[] {
  const entries = new Map<string, Record<string, unknown>>();
  const raw = params["keywords_attributes"];
  if (raw !== undefined) {
    if (typeof raw !== "object" || raw === null) throw invalid("keywords_attributes must be a list of { keyword, whole_word }");
    for (const [index, entry] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw invalid("keywords_attributes must be a list of { keyword, whole_word }");
      entries.set(index, entry as Record<string, unknown>);
    }
  }
  for (const [key, value] of Object.entries(params)) {
    const m = /^keywords_attributes\[(\d{0,3})\]\[(id|keyword|whole_word|_destroy)\]$/.exec(key);
    if (!m) continue;
    const values = m[1] === "" && Array.isArray(value) ? value : [value];
    values.forEach((v, i) => {
      const index = m[1] === "" ? `_${i}` : m[1]!;
      const entry = entries.get(index) ?? {};
      entry[m[2]!] = v;
      entries.set(index, entry);
    });
  }
  return [...entries.values()].map((e) => {
    const id = optionalString(e, "id");
    if (id !== undefined && !isRowId(id)) throw invalid("keywords_attributes: id must be an id");
    const keyword = optionalString(e, "keyword");
    const wholeWord = optionalBoolean(e, "whole_word");
    const destroy = optionalBoolean(e, "_destroy");
    return {
      ...(id !== undefined ? { id } : {}),
      ...(keyword !== undefined ? { keyword } : {}),
      ...(wholeWord !== undefined ? { wholeWord } : {}),
      ...(destroy !== undefined ? { destroy } : {}),
    };
  });
}

function statusIdParam(params: Params): string {
  const v = params["status_id"];
  const id = typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v;
  if (!isRowId(id)) throw invalid("status_id must be a status id");
  return id;
}

export function mountFilters(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();
  const read = requireAuth("read:filters");
  const write = requireAuth("write:filters");

  r.get("/v2/filters", read, async (c) => c.json((await listFilters(c.get("deps").db, currentAccount(c).id)).map(renderFilter)));

  r.post("/v2/filters", write, async (c) => {
    const params = await readParams(c);
    const changes = filterChanges(params);
    if (changes.title === undefined) throw invalid("title is required");
    if (changes.context === undefined) throw invalid("context is required");
    const filter = await createFilter(c.get("deps").db, currentAccount(c), { ...changes, title: changes.title, context: changes.context },
      keywordChanges(params));
    return c.json(renderFilter(filter));
  });

  r.get("/v2/filters/:id", read, async (c) => c.json(renderFilter(await findFilter(c.get("deps").db, currentAccount(c).id, pathId(c)))));

  r.put("/v2/filters/:id", write, async (c) => {
    const id = pathId(c);
    const params = await readParams(c);
    return c.json(renderFilter(await updateFilter(c.get("deps").db, currentAccount(c).id, id, filterChanges(params), keywordChanges(params))));
  });

  r.delete("/v2/filters/:id", write, async (c) => {
    await deleteFilter(c.get("deps").db, currentAccount(c).id, pathId(c));
    return c.json({});
  });

  r.get("/v2/filters/:id/keywords", read, async (c) =>
    c.json((await findFilter(c.get("deps").db, currentAccount(c).id, pathId(c))).keywords.map(renderFilterKeyword)));

  r.post("/v2/filters/:id/keywords", write, async (c) => {
    const id = pathId(c);
    const params = await readParams(c);
    const keyword = optionalString(params, "keyword");
    if (keyword === undefined) throw invalid("keyword is required");
    const wholeWord = optionalBoolean(params, "whole_word");
    const added = await addKeyword(c.get("deps").db, currentAccount(c).id, id, { keyword, ...(wholeWord !== undefined ? { wholeWord } : {}) });
    return c.json(renderFilterKeyword(added));
  });

  r.get("/v2/filter_keywords/:id", read, async (c) =>
    c.json(renderFilterKeyword(await findKeyword(c.get("deps").db, currentAccount(c).id, pathId(c)))));

  r.put("/v2/filter_keywords/:id", write, async (c) => {
    const id = pathId(c);
    const params = await readParams(c);
    const keyword = optionalString(params, "keyword");
    const wholeWord = optionalBoolean(params, "whole_word");
    const updated = await updateKeyword(c.get("deps").db, currentAccount(c).id, id, {
      ...(keyword !== undefined ? { keyword } : {}), ...(wholeWord !== undefined ? { wholeWord } : {}),
    });
    return c.json(renderFilterKeyword(updated));
  });

  r.delete("/v2/filter_keywords/:id", write, async (c) => {
    await deleteKeyword(c.get("deps").db, currentAccount(c).id, pathId(c));
    return c.json({});
  });

  r.get("/v2/filters/:id/statuses", read, async (c) =>
    c.json((await findFilter(c.get("deps").db, currentAccount(c).id, pathId(c))).statuses.map(renderFilterStatus)));

  r.post("/v2/filters/:id/statuses", write, async (c) => {
    const id = pathId(c);
    const postId = statusIdParam(await readParams(c));
    return c.json(renderFilterStatus(await addFilterStatus(c.get("deps").db, currentAccount(c).id, id, postId)));
  });

  r.get("/v2/filter_statuses/:id", read, async (c) =>
    c.json(renderFilterStatus(await findFilterStatus(c.get("deps").db, currentAccount(c).id, pathId(c)))));

  r.delete("/v2/filter_statuses/:id", write, async (c) => {
    await deleteFilterStatus(c.get("deps").db, currentAccount(c).id, pathId(c));
    return c.json({});
  });

  // v1: each keyword is a filter; a new v1 filter is a v2 filter titled by its phrase, with that one keyword.
  r.get("/v1/filters", read, async (c) => c.json((await listFilters(c.get("deps").db, currentAccount(c).id)).flatMap(renderV1Filters)));

  r.get("/v1/filters/:id", read, async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c).id;
    const keyword = await findKeyword(deps.db, me, pathId(c));
    return c.json(renderV1Filters(await findFilter(deps.db, me, keyword.filterId)).find((f) => f.id === keyword.id));
  });

  r.post("/v1/filters", write, async (c) => {
    const params = await readParams(c);
    const phrase = optionalString(params, "phrase");
    const context = contextParam(params);
    if (phrase === undefined) throw invalid("phrase is required");
    if (context === undefined) throw invalid("context is required");
    const wholeWord = optionalBoolean(params, "whole_word") ?? true;
    const expiresIn = expiresInParam(params);
    const filter = await createFilter(c.get("deps").db, currentAccount(c), {
      title: phrase, context, action: optionalBoolean(params, "irreversible") ? "hide" : "warn",
      ...(expiresIn !== undefined ? { expiresIn } : {}),
    }, [{ keyword: phrase, wholeWord }]);
    return c.json(renderV1Filters(filter)[0]);
  });

  r.put("/v1/filters/:id", write, async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c).id;
    const keyword = await findKeyword(deps.db, me, pathId(c));
    const params = await readParams(c);
    const phrase = optionalString(params, "phrase");
    const wholeWord = optionalBoolean(params, "whole_word");
    const irreversible = optionalBoolean(params, "irreversible");
    const context = contextParam(params);
    const expiresIn = expiresInParam(params);
    const filter = await updateFilter(deps.db, me, keyword.filterId, {
      ...(context !== undefined ? { context } : {}),
      ...(irreversible !== undefined ? { action: irreversible ? "hide" : "warn" } : {}),
      ...(expiresIn !== undefined ? { expiresIn } : {}),
    }, [{ id: keyword.id, ...(phrase !== undefined ? { keyword: phrase } : {}), ...(wholeWord !== undefined ? { wholeWord } : {}) }]);
    return c.json(renderV1Filters(filter).find((f) => f.id === keyword.id));
  });

  r.delete("/v1/filters/:id", write, async (c) => {
    await deleteKeyword(c.get("deps").db, currentAccount(c).id, pathId(c));
    return c.json({});
  });

  app.route("/api", r);
}
