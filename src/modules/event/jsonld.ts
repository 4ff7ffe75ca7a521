/**
 * Reading the terms of other vocabularies (Mobilizon's `timezone`,
 * schema.org's `location` and `address`) that Fedify's classes do not carry.
 * The object's JSON-LD as it arrived is either compact, with its own
 * `@context` (a document fetched from its id), or expanded (an object
 * embedded in an activity): a term counts only when it names the expected
 * IRI, through the document's own inline context or spelled out in full.
 * Contexts named by URL are not fetched: Mobilizon defines its terms inline.
 */
import type { Object as APObject } from "@fedify/vocab";
import { receivedJsonLd } from "../received.ts";

export type JsonNode = Record<string, unknown>;

export const MOBILIZON = "https://joinmobilizon.org/ns#";
export const ACTIVITYSTREAMS = "https://www.w3.org/ns/activitystreams#";
const SCHEMA_ORG = ["http://schema.org#", "http://schema.org/", "https://schema.org/", "https://schema.org#"];

/** The same term in schema.org's spellings (Mobilizon uses `http://schema.org#`). */
export function schemaOrg(term: string): string[] {
  return SCHEMA_ORG.map((base) => base + term);
}

export function isNode(value: unknown): value is JsonNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object's JSON-LD as received (Fedify keeps it), with the term definitions of its inline context. */
export interface RawObject {
  node: JsonNode;
  terms: Map<string, string>;
}

const MAX_TERMS = 200;

function inlineTerms(context: unknown): Map<string, string> {
  const defs = new Map<string, string>();
  for (const c of (Array.isArray(context) ? context : [context]).slice(0, 10)) {
    if (!isNode(c)) continue;
    for (const [term, def] of Object.entries(c).slice(0, MAX_TERMS)) {
      if (term.startsWith("@")) continue;
      const id = typeof def === "string" ? def : isNode(def) && typeof def["@id"] === "string" ? def["@id"] : null;
      if (id) defs.set(term, id);
    }
  }
  // Compact IRIs (mz:timezone) through the prefixes defined alongside.
  const expand = (id: string) => {
    const colon = id.indexOf(":");
    if (colon <= 0 || id.slice(colon + 1).startsWith("//")) return id;
    const base = defs.get(id.slice(0, colon));
    return base && /^https?:\/\//.test(base) ? base + id.slice(colon + 1) : id;
  };
  return new Map([...defs].map(([term, id]) => [term, expand(id)]));
}

export async function rawObject(object: APObject): Promise<RawObject | null> {
  const json = await receivedJsonLd(object);
  if (Array.isArray(json) && json.length === 1 && isNode(json[0])) return { node: json[0], terms: new Map() };
  if (!isNode(json)) return null;
  return { node: json, terms: inlineTerms(json["@context"]) };
}

/** The values of a node's property named by any of `iris` (expanded `@value`s unwrapped). */
export function valuesOf(node: JsonNode, terms: Map<string, string>, iris: readonly string[]): unknown[] {
  const out: unknown[] = [];
  for (const [key, value] of Object.entries(node)) {
    // A plain term not defined inline is ActivityStreams' (its context is in every document).
    const iri = /^https?:\/\//.test(key) ? key : key.startsWith("@") ? undefined : terms.get(key) ?? (key.includes(":") ? undefined : ACTIVITYSTREAMS + key);
    if (!iri || !iris.includes(iri)) continue;
    for (const v of (Array.isArray(value) ? value : [value]).slice(0, 20)) {
      out.push(isNode(v) && "@value" in v ? v["@value"] : v);
    }
  }
  return out;
}

export function firstString(node: JsonNode, terms: Map<string, string>, iris: readonly string[]): string | null {
  const v = valuesOf(node, terms, iris).find((x) => typeof x === "string");
  return typeof v === "string" ? v : null;
}
