import { HTTPException } from "hono/http-exception";
import { invalid, notFound } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import type { Page } from "../../domain/paging.ts";
import type { ApiContext } from "./auth.ts";

/**
 * Request parameters as Mastodon (Rails) reads them: the query string merged
 * with a JSON or form body. `key[]` names become `key` with an array value.
 */
export type Params = Record<string, unknown>;

function put(params: Params, rawKey: string, value: unknown) {
  const isArray = rawKey.endsWith("[]");
  const key = isArray ? rawKey.slice(0, -2) : rawKey;
  if (key === "" || key === "__proto__") return;
  if (isArray) {
    const prev = params[key];
    params[key] = Array.isArray(prev) ? [...prev, ...(Array.isArray(value) ? value : [value])] : Array.isArray(value) ? value : [value];
  } else {
    params[key] = value;
  }
}

export function queryParams(c: ApiContext): Params {
  const params: Params = Object.create(null) as Params;
  for (const [key, values] of Object.entries(c.req.queries())) {
    put(params, key, key.endsWith("[]") ? values : values.length === 1 ? values[0] : values);
  }
  return params;
}

function mediaType(c: ApiContext): string | undefined {
  return c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase() || undefined;
}

/** Does `value` (text, or a list or object of them, at any depth) contain U+0000? */
function containsNul(value: unknown): boolean {
  // An explicit stack: a JSON body may nest deeper than the call stack allows.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (v.includes("\0")) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (typeof v === "object" && v !== null && !(v instanceof Blob)) {
      for (const [key, item] of Object.entries(v)) {
        if (key.includes("\0")) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

/**
 * PostgreSQL cannot store U+0000 in text and no client has reason to send it:
 * a body that carries it anywhere is refused (the URL is checked for every
 * route by src/http/nul-guard.ts).
 */
function refuseNul(params: Params): Params {
  for (const [key, value] of Object.entries(params)) {
    if (key.includes("\0")) throw invalid("Parameter names must not contain the NUL character");
    if (containsNul(value)) throw invalid(`${key} must not contain the NUL character`);
  }
  return params;
}

/** Query plus body. Malformed JSON is a 400; a body of another type a 415; NUL anywhere a 422. */
export async function readParams(c: ApiContext): Promise<Params> {
  return refuseNul(await queryAndBody(c));
}

async function queryAndBody(c: ApiContext): Promise<Params> {
  const params = queryParams(c);
  const type = mediaType(c);
  if (type === "application/json" || type?.endsWith("+json")) {
    const text = await c.req.text();
    if (text.trim() === "") return params;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HTTPException(400, { message: "Malformed JSON in request body" });
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw invalid("The request body must be a JSON object");
    }
    for (const [key, value] of Object.entries(body)) put(params, key, value);
    return params;
  }
  if (type === "application/x-www-form-urlencoded" || type === "multipart/form-data") {
    let body: Record<string, unknown>;
    try {
      body = await c.req.parseBody({ all: true });
    } catch {
      throw new HTTPException(400, { message: "Malformed form body" });
    }
    for (const [key, value] of Object.entries(body)) put(params, key, value);
    return params;
  }
  if (type === undefined) {
    const text = await c.req.text();
    if (text.trim() !== "") throw new HTTPException(415, { message: "A request body needs a Content-Type: application/json or a form" });
    return params;
  }
  throw new HTTPException(415, { message: `Unsupported content type ${type}; send JSON or a form` });
}

/** A text parameter; numbers are accepted as text, arrays, objects and files are not. */
export function optionalString(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  throw invalid(`${name} must be a string`);
}

/** What a hashtag name may be (without `#`). */
export const TAG = /^[\p{L}\p{N}_]{1,100}$/u;

const TRUE = new Set(["true", "1", "on", "t", "yes"]);
const FALSE = new Set(["false", "0", "off", "f", "no", ""]);

export function optionalBoolean(params: Params, name: string): boolean | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "number" && (v === 0 || v === 1)) return v === 1;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
  }
  throw invalid(`${name} must be true or false`);
}

/** A whole number parameter (text or JSON number); anything else is a 422. */
export function optionalInteger(params: Params, name: string): number | undefined {
  const v = optionalString(params, name);
  if (v === undefined || v.trim() === "") return undefined;
  if (!/^-?\d{1,15}$/.test(v.trim())) throw invalid(`${name} must be a whole number`);
  return Number(v.trim());
}

export function oneOf<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const v = optionalString(params, name);
  if (v === undefined || v === "") return undefined;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw invalid(`${name} must be one of ${allowed.join(", ")}`);
}

/** A record id from the path: anything but a bigint is a record that does not exist. */
export function pathId(c: ApiContext, name = "id"): string {
  const id = c.req.param(name);
  if (id === undefined || !isRowId(id)) throw notFound();
  return id;
}

/** An id parameter (in_reply_to_id...): malformed is 422, JSON numbers are accepted when exact. */
export function optionalId(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return String(v);
  if (typeof v === "string" && isRowId(v)) return v;
  throw invalid(`${name} must be an id`);
}

/** A list of ids (`id[]=1&id[]=2`, or one `id=1`). Malformed entries are left out, like unknown ones. */
export function idList(params: Params, name: string, max: number): string[] {
  const v = params[name];
  const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
  const ids: string[] = [];
  for (const x of values) {
    const s = typeof x === "number" && Number.isSafeInteger(x) ? String(x) : x;
    if (typeof s === "string" && isRowId(s) && !ids.includes(s)) ids.push(s);
    if (ids.length >= max) break;
  }
  return ids;
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 40;

/** `limit`, clamped to 1..max; anything but an integer is a 422. */
export function limitParam(params: Params, fallback = DEFAULT_LIMIT, max = MAX_LIMIT): number {
  const v = optionalString(params, "limit");
  if (v === undefined || v === "") return fallback;
  if (!/^-?\d{1,20}$/.test(v.trim())) throw invalid("limit must be an integer");
  const n = Number(v.trim());
  return Math.min(Math.max(n, 1), max);
}

/** An integer offset (search), 0..max. */
export function offsetParam(params: Params, max: number): number {
  const v = optionalString(params, "offset");
  if (v === undefined || v === "") return 0;
  if (!/^\d{1,20}$/.test(v.trim())) throw invalid("offset must be a non-negative integer");
  return Math.min(Number(v.trim()), max);
}

/** max_id / since_id / min_id / limit. */
export function pageParams(params: Params): Page {
  const page: Page = { limit: limitParam(params) };
  for (const [name, key] of [["max_id", "maxId"], ["since_id", "sinceId"], ["min_id", "minId"]] as const) {
    const v = optionalString(params, name);
    if (v === undefined || v === "") continue;
    if (!isRowId(v)) throw invalid(`${name} must be an id`);
    page[key] = v;
  }
  return page;
}

/**
 * Mastodon's Link header: `next` pages to older entries (max_id = the last
 * cursor), `prev` to newer ones (min_id = the first). Other query parameters are kept.
 */
export function setLinkHeader(c: ApiContext, cursors: string[]) {
  if (cursors.length === 0) return;
  const origin = c.get("deps").config.origin;
  const link = (key: "max_id" | "min_id", id: string) => {
    const url = new URL(c.req.path, origin);
    for (const [k, values] of Object.entries(c.req.queries())) {
      if (k === "max_id" || k === "min_id" || k === "since_id") continue;
      for (const v of values) url.searchParams.append(k, v);
    }
    url.searchParams.set(key, id);
    return url.href;
  };
  c.header("Link", `<${link("max_id", cursors.at(-1)!)}>; rel="next", <${link("min_id", cursors[0]!)}>; rel="prev"`);
}
