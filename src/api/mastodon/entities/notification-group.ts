import type { AppContext } from "../../../context.ts";
import type { Actor } from "../../../db/schema.ts";
import type { NotificationGroup } from "../../../domain/notification-groups.ts";
import type { NotificationType } from "../../../domain/notifications.ts";
import type { Viewer } from "../../../domain/visibility.ts";
import { type MastodonAccount, renderAccounts } from "./account.ts";
import { type MastodonStatus, renderStatuses } from "./status.ts";

/** https://docs.joinmastodon.org/entities/GroupedNotificationsResults/#NotificationGroup */
export interface MastodonNotificationGroup {
  group_key: string;
  notifications_count: number;
  type: NotificationType;
  most_recent_notification_id: string;
  page_min_id: string;
  page_max_id: string;
  latest_page_notification_at: string;
  sample_account_ids: string[];
  /** the post it is about; absent when it is about none */
  status_id?: string;
}

/** https://docs.joinmastodon.org/entities/GroupedNotificationsResults/#PartialAccountWithAvatar */
export interface PartialAccount {
  id: string;
  acct: string;
  url: string;
  avatar: string;
  avatar_static: string;
  locked: boolean;
  bot: boolean;
}

/** https://docs.joinmastodon.org/entities/GroupedNotificationsResults/ */
export interface GroupedNotificationsResults {
  accounts: MastodonAccount[];
  partial_accounts?: PartialAccount[];
  statuses: MastodonStatus[];
  notification_groups: MastodonNotificationGroup[];
}

export type ExpandAccounts = "full" | "partial_avatars";

function partial(a: MastodonAccount): PartialAccount {
  return { id: a.id, acct: a.acct, url: a.url, avatar: a.avatar, avatar_static: a.avatar_static, locked: a.locked, bot: a.bot };
}

/**
 * Renders groups for their recipient in a fixed number of queries. With
 * `partial_avatars`, only the newest account of each group comes whole
 * (statuses carry their authors); the other sample accounts come as partial
 * accounts. A group about a status the recipient can no longer see is left out.
 */
export async function renderNotificationGroups(
  deps: AppContext,
  recipientId: string,
  groups: NotificationGroup[],
  expand: ExpandAccounts = "full",
): Promise<GroupedNotificationsResults> {
  const viewer: Viewer = { kind: "local", actorId: recipientId };
  const actors = new Map<string, Actor>();
  for (const g of groups) for (const n of g.notifications) actors.set(n.actor.id, n.actor);
  const posts = [...new Map(groups.flatMap((g) => g.notifications.flatMap((n) => (n.post ? [[n.post.id, n.post] as const] : [])))).values()];
  const [accounts, statuses] = await Promise.all([renderAccounts(deps, [...actors.values()], viewer), renderStatuses(deps, viewer, posts)]);
  const statusById = new Map(statuses.map((s) => [s.id, s]));
  const rendered: MastodonNotificationGroup[] = [];
  const full = new Set<string>();
  for (const g of groups) {
    const newest = g.notifications[0]!;
    const status = newest.post ? statusById.get(newest.post.id) : undefined;
    if (newest.post && !status) continue;
    const ids = g.notifications.map((n) => BigInt(n.id));
    rendered.push({
      group_key: g.groupKey,
      notifications_count: g.notifications.length,
      type: g.type,
      most_recent_notification_id: newest.id,
      page_min_id: ids.reduce((a, b) => (a < b ? a : b)).toString(),
      page_max_id: ids.reduce((a, b) => (a > b ? a : b)).toString(),
      latest_page_notification_at: newest.createdAt.toISOString(),
      sample_account_ids: g.sampleAccountIds,
      ...(status ? { status_id: status.id } : {}),
    });
    full.add(newest.actor.id);
  }
  const used = new Set(rendered.flatMap((g) => g.sample_account_ids));
  const all = [...used].flatMap((id) => accounts.get(id) ?? []);
  const usedStatuses = new Set(rendered.flatMap((g) => (g.status_id ? [g.status_id] : [])));
  const result: GroupedNotificationsResults = {
    accounts: expand === "full" ? all : all.filter((a) => full.has(a.id)),
    statuses: statuses.filter((s) => usedStatuses.has(s.id)),
    notification_groups: rendered,
  };
  if (expand === "partial_avatars") result.partial_accounts = all.filter((a) => !full.has(a.id)).map(partial);
  return result;
}
