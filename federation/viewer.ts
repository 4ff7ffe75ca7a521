import type { DocumentLoader, RequestContext } from "@fedify/fedify";
import { Application, Service } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { findActorByIri } from "../src/domain/remote-actors.ts";
import { ANONYMOUS, type Viewer } from "../src/domain/visibility.ts";
import type { AppContext } from "../src/context.ts";
import { createSafeDocumentLoader } from "./loader.ts";
import { policyCheck } from "./policy.ts";

const logger = getLogger(["plein", "federation", "viewer"]);

/** Viewers derived per request; objects and collections ask several times per request. */
const cache = new WeakMap<Request, Promise<Viewer>>();

/**
 * Who is asking, from the request's HTTP signature, for the visibility rule
 * (src/domain/visibility.ts):
 * - no valid signature: anonymous;
 * - a server's instance actor (an `Application`, or a `Service` whose
 *   preferredUsername is its own host name): `{ kind: "server", origin }`;
 * - any other signer we know (stored by federation/remote.ts, not gone): that remote actor;
 * - a signer we have never stored: anonymous (a user of a server is not the server).
 * The key and its owner must share an origin, and the owner must not claim our own origin.
 */
export function viewerFromRequest(ctx: RequestContext<AppContext>): Promise<Viewer> {
  let viewer = cache.get(ctx.request);
  if (!viewer) {
    viewer = deriveViewer(ctx);
    cache.set(ctx.request, viewer);
  }
  return viewer;
}

/**
 * Fetches the signer's key and actor with our capped, SSRF-checked loader,
 * signed by our instance actor (for servers that require authorized fetch).
 * The instance key is read only if Fedify has to fetch (its key cache misses).
 */
function signedLoader(ctx: RequestContext<AppContext>): DocumentLoader {
  const { config } = ctx.data;
  let loader: Promise<DocumentLoader> | undefined;
  const build = async (): Promise<DocumentLoader> => {
    const pairs = await ctx.getActorKeyPairs(config.origin.hostname);
    const rsa = pairs.find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
    return createSafeDocumentLoader({
      allowPrivateAddress: config.allowPrivateAddress,
      policy: policyCheck(ctx.data),
      ...(rsa ? { signer: { keyId: rsa.keyId, privateKey: rsa.privateKey } } : {}),
    });
  };
  return async (url, options) => {
    loader ??= build();
    return (await loader)(url, options);
  };
}

async function deriveViewer(ctx: RequestContext<AppContext>): Promise<Viewer> {
  // Cheap exit for the common unsigned fetch.
  const h = ctx.request.headers;
  if (!h.has("signature") && !h.has("signature-input")) return ANONYMOUS;
  try {
    const documentLoader = signedLoader(ctx);
    const key = await ctx.getSignedKey({ documentLoader });
    if (!key?.id) return ANONYMOUS;
    const owner = await ctx.getSignedKeyOwner({ documentLoader });
    if (!owner?.id) return ANONYMOUS;
    if (owner.id.origin !== key.id.origin) return ANONYMOUS;
    if (owner.id.origin === ctx.data.config.origin.origin) return ANONYMOUS;
    // A server is its whole origin: one on our host name with another scheme or port is not us.
    const origin = owner.id.origin;
    if (owner instanceof Application) return { kind: "server", origin };
    if (owner instanceof Service) {
      const name = owner.preferredUsername?.toString().toLowerCase();
      if (name && name === owner.id.hostname.toLowerCase()) return { kind: "server", origin };
    }
    const actor = await findActorByIri(ctx.data.db, owner.id.href);
    if (!actor || actor.local || actor.gone_at) return ANONYMOUS;
    return { kind: "remote", actorId: actor.id };
  } catch (error) {
    logger.warn("Could not verify the signature of {method} {url}: {error}", {
      method: ctx.request.method, url: ctx.request.url, error,
    });
    return ANONYMOUS;
  }
}
