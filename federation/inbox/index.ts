import type { Federation, RequestContext, UnverifiedActivityReason } from "@fedify/fedify";
import {
  Accept,
  type Activity,
  Announce,
  Block,
  Create,
  Delete,
  Flag,
  Follow,
  Invite,
  Join,
  Leave,
  Like,
  Reject,
  TentativeAccept,
  Undo,
  Update,
} from "@fedify/vocab";
import { findActorByIri, markActorGone } from "../../src/domain/remote-actors.ts";
import { paths } from "../../src/domain/urls.ts";
import type { AppContext } from "../../src/context.ts";
import { instanceIdentifier } from "../remote.ts";
import { onBlock, onFlag } from "./block-flag.ts";
import { listener, logger } from "./common.ts";
import { onCreate } from "./create.ts";
import { onAccept, onFollow, onReject, onTentativeAccept } from "./follow.ts";
import { inboxIdempotencyKey } from "./idempotency.ts";
import { onInvite, onJoin, onLeave } from "./group.ts";
import { onAnnounce, onLike } from "./like-announce.ts";
import { onUndo } from "./undo.ts";
import { onDelete, onUpdate } from "./update-delete.ts";

/**
 * An actor that deleted itself answers 410 for its key, so its `Delete` of
 * itself cannot be verified. When the actor's own origin says 410 for the key
 * of the actor the activity names, the actor is gone either way: mark it so
 * and answer 202 (as Mastodon does). Nothing else is done for unverified input.
 */
async function onUnverified(ctx: RequestContext<AppContext>, activity: Activity, reason: UnverifiedActivityReason): Promise<Response | void> {
  if (reason.type !== "keyFetchError" || !("status" in reason.result) || reason.result.status !== 410) return;
  const actorId = activity.actorId;
  if (!(activity instanceof Delete) || !actorId || activity.objectId?.href !== actorId.href) return;
  const keyOwner = new URL(reason.keyId);
  keyOwner.hash = "";
  if (keyOwner.href !== actorId.href) return;
  const stored = await findActorByIri(ctx.data.db, actorId.href);
  if (stored && !stored.local) await markActorGone(ctx.data.db, stored.id);
  return new Response(null, { status: 202 });
}

/** The inbox: one listener per activity family; any other type is accepted (202) and ignored by Fedify. */
export function registerInbox(federation: Federation<AppContext>): void {
  federation
    .setInboxListeners(paths.inbox, paths.sharedInbox)
    .setSharedKeyDispatcher((ctx) => ({ identifier: instanceIdentifier(ctx.data.config) }))
    .withIdempotency(inboxIdempotencyKey)
    .on(Follow, listener(onFollow))
    .on(TentativeAccept, listener(onTentativeAccept))
    .on(Accept, listener(onAccept))
    .on(Reject, listener(onReject))
    .on(Undo, listener(onUndo))
    .on(Create, listener(onCreate))
    .on(Update, listener(onUpdate))
    .on(Delete, listener(onDelete))
    .on(Like, listener(onLike))
    .on(Announce, listener(onAnnounce))
    .on(Block, listener(onBlock))
    .on(Flag, listener(onFlag))
    .on(Join, listener(onJoin))
    .on(Leave, listener(onLeave))
    .on(Invite, listener(onInvite))
    .onUnverifiedActivity(onUnverified)
    .onError((_ctx, error) => {
      logger.error("Inbox listener failed: {error}", { error });
    });
}
