/**
 * Objects' JSON-LD as they were received, for modules that read terms of
 * other vocabularies (Mobilizon's `timezone`, schema.org's `address`) that
 * Fedify's classes do not keep. Fedify keeps a fetched document's own JSON;
 * an object embedded in an activity is remembered here by the inbox
 * (federation/inbox/common.ts), for as long as the object lives.
 */
import type { Object as APObject } from "@fedify/vocab";

const received = new WeakMap<APObject, unknown>();

export function rememberReceived(object: APObject, json: unknown): void {
  received.set(object, json);
}

/** The object's JSON-LD as received: compact with its `@context`, or expanded. */
export async function receivedJsonLd(object: APObject): Promise<unknown> {
  return received.get(object) ?? await object.toJsonLd();
}
