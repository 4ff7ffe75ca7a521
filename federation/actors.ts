import type { Federation, RequestContext } from "@fedify/fedify";
import { Application, Endpoints, Group, Image, Person, PropertyValue, Service } from "@fedify/vocab";
import type { Actor } from "../src/db/schema.ts";
import type { AppContext } from "../src/context.ts";
import { findLocalActor } from "../src/domain/accounts.ts";
import { findGroup } from "../src/domain/groups.ts";
import { groupModerators } from "../src/domain/membership.ts";
import { paths } from "../src/domain/urls.ts";
import { localKeyPairs } from "./key-pairs.ts";

function fieldsOf(actor: Actor): PropertyValue[] {
  const raw = Array.isArray(actor.fields) ? actor.fields : [];
  return raw.flatMap((f: unknown) => {
    if (typeof f !== "object" || f === null) return [];
    const { name, value } = f as { name?: unknown; value?: unknown };
    return typeof name === "string" && typeof value === "string" ? [new PropertyValue({ name, value })] : [];
  });
}

/** Builds the ActivityStreams document of a local actor. */
export async function renderLocalActor(ctx: RequestContext<AppContext>, actor: Actor): Promise<Person | Group | Application | Service> {
  const keys = await ctx.getActorKeyPairs(actor.username);
  const common = {
    id: ctx.getActorUri(actor.username),
    preferredUsername: actor.username,
    name: actor.display_name || actor.username,
    summary: actor.summary_html || null,
    url: actor.url ? new URL(actor.url) : null,
    inbox: ctx.getInboxUri(actor.username),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    outbox: ctx.getOutboxUri(actor.username),
    followers: ctx.getFollowersUri(actor.username),
    following: ctx.getFollowingUri(actor.username),
    featured: ctx.getFeaturedUri(actor.username),
    manuallyApprovesFollowers: actor.manually_approves_followers,
    published: Temporal.Instant.from(actor.created_at.toISOString()),
    icon: actor.avatar_url ? new Image({ url: new URL(actor.avatar_url) }) : null,
    image: actor.header_url ? new Image({ url: new URL(actor.header_url) }) : null,
    attachments: fieldsOf(actor),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((k) => k.multikey),
  };
  switch (actor.type) {
    case "Application": return new Application(common);
    case "Group": {
      // Its admins and moderators in attributedTo (as Lemmy and FEP-1b12 read them); a secret group is not discoverable.
      const [moderators, group] = await Promise.all([
        groupModerators(ctx.data.db, actor.id),
        findGroup(ctx.data.db, actor.id),
      ]);
      return new Group({
        ...common,
        attributions: moderators.map((iri) => new URL(iri)),
        discoverable: group?.settings?.visibility !== "secret",
        indexable: group?.settings?.visibility === "public",
      });
    }
    case "Service": return new Service(common);
    default: return new Person(common);
  }
}

export function registerActors(federation: Federation<AppContext>): void {
  federation
    .setActorDispatcher(paths.actor, async (ctx, identifier) => {
      const actor = await findLocalActor(ctx.data.db, ctx.data.config.origin, identifier);
      return actor ? renderLocalActor(ctx, actor) : null;
    })
    .mapHandle(async (ctx, username) => {
      const actor = await findLocalActor(ctx.data.db, ctx.data.config.origin, username);
      if (!actor) return null;
      // A secret group is not findable: WebFinger does not know it (its invitees' servers fetch it by id).
      if (actor.type === "Group" && (await findGroup(ctx.data.db, actor.id))?.settings?.visibility === "secret") return null;
      return actor.username;
    })
    .setKeyPairsDispatcher((ctx, identifier) => localKeyPairs(ctx.data.db, identifier));
}
