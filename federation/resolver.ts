import { type Federation, getUserAgent } from "@fedify/fedify";
import type { Config } from "../src/config.ts";
import type { AppContext } from "../src/context.ts";
import type { Db } from "../src/db/database.ts";
import type { Resolver } from "../src/domain/resolver.ts";
import { SOFTWARE } from "../src/version.ts";
import { withFetchBudget } from "./fetch-budget.ts";
import { FETCH_LIMITS } from "./loader.ts";
import { createMediaFetcher, type MediaFetcher } from "./media-fetch.ts";
import { policyCheck } from "./policy.ts";
import { instanceIdentifier, resolveActor, resolvePost } from "./remote.ts";
import { viewerOfSignedRequest } from "./signed-requests.ts";

/** The resolver the API, the modules and the domain use (src/domain/resolver.ts). */
export function createResolver(federation: Federation<AppContext>, deps: { db: Db; config: Config }): Resolver {
  let fetcher: Promise<MediaFetcher> | undefined;
  const mediaFetcher = () => {
    fetcher ??= (async () => {
      const pairs = await context().getActorKeyPairs(instanceIdentifier(deps.config));
      const rsa = pairs.find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
      return createMediaFetcher({
        allowPrivateAddress: deps.config.allowPrivateAddress,
        policy: policyCheck(deps),
        userAgent: getUserAgent({ software: SOFTWARE.userAgent, url: deps.config.origin }),
        ...(rsa ? { signer: { keyId: rsa.keyId, privateKey: rsa.privateKey } } : {}),
      });
    })();
    fetcher.catch(() => {
      fetcher = undefined;
    });
    return fetcher;
  };
  const resolver: Resolver = {
    resolveActor: (query) => resolveActor(context(), query),
    resolvePost: (url) => resolvePost(context(), url),
    // As for a request Fedify serves: what verifying the signer may fetch (its key, its
    // actor, the group's members collection) is bounded per request.
    requestViewer: (request, about) => withFetchBudget(FETCH_LIMITS.maxFetchesPerRequest,
      () => viewerOfSignedRequest(federation.createContext(request, data), about)),
    fetchMedia: async (url, options) => (await mediaFetcher())(url, options),
  };
  const data: AppContext = { db: deps.db, config: deps.config, resolver };
  const context = () => federation.createContext(deps.config.origin, data);
  return resolver;
}
