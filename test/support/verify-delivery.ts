/**
 * What a receiving server checks of a delivery: the HTTP Signature (draft-cavage
 * or RFC 9421), verified with Fedify's verifyRequest against the signer's key
 * fetched from its origin, and who owns that key. Used by the hand-written
 * remote servers of the interop tests to prove that what Plein sent was signed
 * by the actor it claims.
 */
import { type KeyCache, verifyRequest } from "@fedify/fedify";
import { createSafeDocumentLoader } from "../../federation/loader.ts";
import type { ReceivedRequest } from "./fake-remote.ts";

export interface CheckedDelivery {
  /** the parsed body */
  activity: Record<string, unknown>;
  signature: "draft-cavage" | "rfc9421";
  /** the id of the actor owning the key that signed it */
  signer: string;
}

const loader = createSafeDocumentLoader({ allowPrivateAddress: true });

/** Keys fetched once per key id, for a test that verifies many deliveries by one signer. */
export function memoryKeyCache(): KeyCache {
  const keys = new Map<string, Awaited<ReturnType<KeyCache["get"]>>>();
  return {
    get: async (keyId) => keys.get(keyId.href),
    set: async (keyId, key) => void keys.set(keyId.href, key),
  };
}

/** Verifies one request a fake remote received (on `origin`); null when it carries no valid signature. */
export async function verifyDelivery(origin: string, received: ReceivedRequest, keyCache?: KeyCache): Promise<CheckedDelivery | null> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(received.headers)) {
    if (typeof v === "string") headers.set(k, v);
    else if (Array.isArray(v)) headers.set(k, v.join(", "));
  }
  const signature = headers.has("signature-input") ? "rfc9421" : "draft-cavage";
  const request = new Request(new URL(received.path, origin), { method: received.method, headers, body: received.body });
  const key = await verifyRequest(request, {
    documentLoader: loader,
    contextLoader: loader,
    spec: signature === "rfc9421" ? "rfc9421" : "draft-cavage-http-signatures-12",
    ...(keyCache ? { keyCache } : {}),
  }).catch(() => null);
  if (!key?.ownerId) return null;
  return { activity: JSON.parse(received.body) as Record<string, unknown>, signature, signer: key.ownerId.href };
}
