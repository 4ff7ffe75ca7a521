/** Helpers for federation policy tests: rules set through the domain, remote actors stored without fetching. */
import type { Db } from "../../src/db/database.ts";
import type { Actor, ActorType } from "../../src/db/schema.ts";
import {
  type DomainAction,
  type FederationMode,
  parseDomainPattern,
  removeDomainRule,
  setDomainRule,
  updateFederationSettings,
} from "../../src/domain/policy.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";

export function policyOf(db: Db, origin: URL | string) {
  const ownHost = new URL(origin).hostname;
  return {
    rule: (domain: string, action: DomainAction) => setDomainRule(db, ownHost, parseDomainPattern(domain), { action }),
    unrule: (domain: string) => removeDomainRule(db, parseDomainPattern(domain)),
    mode: (mode: FederationMode) => updateFederationSettings(db, { mode }),
  };
}

/** A remote actor as if fetched from `iri` (nothing is fetched); inbox and shared inbox on the same host. */
export function storeRemoteActor(db: Db, localHost: string, iri: string, type: ActorType = "Person"): Promise<Actor> {
  const url = new URL(iri);
  return upsertRemoteActor(db, localHost, {
    iri, type, username: url.pathname.split("/").pop() || "someone", displayName: "", summaryHtml: "",
    url: null, avatarUrl: null, headerUrl: null,
    inbox: `${iri}/inbox`, sharedInbox: new URL("/inbox", url).href, outbox: `${iri}/outbox`,
    followers: `${iri}/followers`, following: `${iri}/following`, featured: null,
    manuallyApprovesFollowers: false, bot: false, fields: [], followersCount: 0, followingCount: 0, postsCount: 0,
  });
}
