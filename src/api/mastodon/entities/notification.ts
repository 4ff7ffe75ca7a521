import type { AppContext } from "../../../context.ts";
import { groupKeyOf } from "../../../domain/notification-groups.ts";
import type { NotificationView } from "../../../domain/notification-list.ts";
import type { NotificationType } from "../../../domain/notifications.ts";
import type { Viewer } from "../../../domain/visibility.ts";
import { type MastodonAccount, renderAccounts } from "./account.ts";
import { type MastodonStatus, renderStatuses } from "./status.ts";

/**
 * https://docs.joinmastodon.org/entities/Notification/ — Mastodon's types
 * keep Mastodon's shape; Plein's group types (group_request, group_invite,
 * group_approved, moderation, report, rsvp) come in the same shape, which
 * Mastodon clients leave out as unknown types.
 */
export interface MastodonNotification {
  id: string;
  type: NotificationType;
  /** Mastodon 4.3: the key of its group in /api/v2/notifications (`ungrouped-<id>` for a notification alone) */
  group_key: string;
  created_at: string;
  /** who caused it (the group, when no person did) */
  account: MastodonAccount;
  /** the post it is about, rendered for the recipient; absent when it is about no post */
  status?: MastodonStatus;
  /** Plein: the group it happened in, as an account (`group: true`) */
  group?: MastodonAccount;
}

/** Renders the recipient's notifications in a fixed number of queries. */
export async function renderNotifications(deps: AppContext, recipientId: string, views: NotificationView[]): Promise<MastodonNotification[]> {
  if (views.length === 0) return [];
  const viewer: Viewer = { kind: "local", actorId: recipientId };
  const actors = views.flatMap((v) => (v.group ? [v.actor, v.group] : [v.actor]));
  const posts = [...new Map(views.flatMap((v) => (v.post ? [[v.post.id, v.post] as const] : []))).values()];
  const [accounts, statuses] = await Promise.all([
    renderAccounts(deps, actors, viewer),
    renderStatuses(deps, viewer, posts),
  ]);
  const statusById = new Map(statuses.map((s) => [s.id, s]));
  return views.flatMap((v): MastodonNotification[] => {
    const status = v.post ? statusById.get(v.post.id) : undefined;
    if (v.post && !status) return [];
    return [{
      id: v.id,
      type: v.type,
      group_key: groupKeyOf({ id: v.id, type: v.type, postId: v.post?.id ?? null, createdAt: v.createdAt }),
      created_at: v.createdAt.toISOString(),
      account: accounts.get(v.actor.id)!,
      ...(status ? { status } : {}),
      ...(v.group ? { group: accounts.get(v.group.id)! } : {}),
    }];
  });
}
