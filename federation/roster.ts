/**
 * Who may fetch our people's content in a group hosted on another server:
 * a server that hosts a current member. Only the group's server knows its
 * members; it publishes, to servers that host one, its members collection
 * filtered by server (FEP-8fcf `base-url`). Before answering a signed fetch
 * of such content, we ask the group about the fetching server (at most once
 * a minute per group and server) and record the answer for the visibility
 * rule (src/domain/group-roster.ts).
 */
import { Collection, CollectionPage, Object as APObject } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { Actor } from "../src/db/schema.ts";
import { recordRoster, rosterIsStale } from "../src/domain/group-roster.ts";
import { type FedContext, isRemoteInputError, parseRemote, remoteLoader } from "./remote.ts";
import { embeddedOnly } from "./translate/inbound.ts";

const logger = getLogger(["plein", "federation", "roster"]);

/** Items of a members collection inspected at most (one server's members). */
const MAX_ITEMS = 1_000;

async function fetchCollection(ctx: FedContext, url: URL): Promise<Collection | CollectionPage | null> {
  const loader = await remoteLoader(ctx);
  const remote = await loader(url.href);
  const parsed = await parseRemote(url.href, () => APObject.fromJsonLd(remote.document, {
    documentLoader: loader, contextLoader: ctx.contextLoader, baseUrl: new URL(remote.documentUrl),
  }));
  return parsed instanceof Collection || parsed instanceof CollectionPage ? parsed : null;
}

/** Does a (filtered) members collection list an actor of `origin`? Items may be embedded or ids. */
async function listsMemberOn(collection: Collection | CollectionPage, origin: string): Promise<boolean> {
  if (collection.itemIds.slice(0, MAX_ITEMS).some((id) => id.origin === origin)) return true;
  let seen = 0;
  for await (const item of collection.getItems(embeddedOnly)) {
    if (++seen > MAX_ITEMS) break;
    if (item.id?.origin === origin) return true;
  }
  return false;
}

/** Refreshes what we know about whether `origin` hosts a current member of the remote `group`. */
export async function refreshRoster(ctx: FedContext, group: Actor, origin: string): Promise<void> {
  const db = ctx.data.db;
  if (group.local || group.type !== "Group" || !group.followers_url) return;
  if (!(await rosterIsStale(db, group.id, origin))) return;
  let hosts = false;
  try {
    const url = new URL(group.followers_url);
    url.searchParams.set("base-url", `${origin}/`);
    const collection = await fetchCollection(ctx, url);
    hosts = collection !== null && await listsMemberOn(collection, origin);
    // Paged (as Fedify serves it): the first page holds the server's members, if it has any.
    const first = collection?.firstId;
    if (!hosts && first && first.origin === url.origin) {
      const page = await fetchCollection(ctx, first);
      hosts = page !== null && await listsMemberOn(page, origin);
    }
  } catch (error) {
    if (!isRemoteInputError(error)) throw error;
    logger.info("Could not ask {group} about members on {origin}: {error}", { group: group.iri, origin, error: String(error) });
  }
  await recordRoster(db, group.id, origin, hosts);
}
