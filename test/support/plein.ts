/**
 * Plein's own API (/api/plein/v1) as federation tests drive it: groups,
 * membership and group content, on whichever instance a user is on.
 */
import type { PleinContent, PleinGroup, PleinMember } from "../../src/api/plein/entities.ts";
import type { TestUser, WaitOptions } from "./instances.ts";
import { waitFor } from "./instances.ts";
import { expectStatus, resolveAccount } from "./mastodon.ts";

export type { PleinContent, PleinGroup, PleinMember };

const V1 = "/api/plein/v1";

export async function createGroup(owner: TestUser, fields: Record<string, unknown>): Promise<PleinGroup> {
  return expectStatus(await owner.api.post<PleinGroup>(`${V1}/groups`, fields), 200, `create group ${String(fields.name)}`);
}

/** The group as `user`'s own instance knows it (a remote group is resolved by its handle first). */
export async function groupOn(user: TestUser, handle: string): Promise<PleinGroup> {
  const bare = handle.replace(/^@/, "");
  const local = !bare.includes("@") || bare.endsWith(`@${new URL(user.api.origin).host}`);
  const id = local
    ? expectStatus(await user.api.get<{ id: string }>("/api/v1/accounts/lookup", { acct: bare.split("@")[0]! }), 200, `lookup ${bare}`).id
    : (await resolveAccount(user, bare)).id;
  return expectStatus(await user.api.get<PleinGroup>(`${V1}/groups/${id}`), 200, `group ${bare} on ${user.handle}'s instance`);
}

export async function joinGroup(user: TestUser, group: PleinGroup): Promise<PleinGroup> {
  return expectStatus(await user.api.post<PleinGroup>(`${V1}/groups/${group.id}/join`), 200, `${user.handle} joins ${group.account.acct}`);
}

export async function leaveGroup(user: TestUser, group: PleinGroup): Promise<PleinGroup> {
  return expectStatus(await user.api.post<PleinGroup>(`${V1}/groups/${group.id}/leave`), 200, `${user.handle} leaves ${group.account.acct}`);
}

/** `user`'s membership state in the group, as `user`'s own instance knows it. */
export async function membershipState(user: TestUser, groupId: string): Promise<string | null> {
  const g = expectStatus(await user.api.get<PleinGroup>(`${V1}/groups/${groupId}`), 200, "group");
  return g.membership?.state ?? null;
}

export async function waitForMembership(user: TestUser, groupId: string, state: string | null, options: WaitOptions = {}): Promise<void> {
  await waitFor(async () => (await membershipState(user, groupId)) === state,
    { message: `${user.handle}'s membership of group ${groupId} becomes ${state}`, ...options });
}

export async function members(user: TestUser, groupId: string, state = "member"): Promise<PleinMember[]> {
  return expectStatus(await user.api.get<PleinMember[]>(`${V1}/groups/${groupId}/members`, { state, limit: 40 }), 200, "members");
}

export async function postInGroup(user: TestUser, groupId: string, fields: Record<string, unknown>): Promise<PleinContent> {
  return expectStatus(await user.api.post<PleinContent>(`${V1}/groups/${groupId}/posts`, fields), 200, `${user.handle} posts in ${groupId}`);
}

export async function comment(user: TestUser, postId: string, text: string): Promise<PleinContent> {
  return expectStatus(await user.api.post<PleinContent>(`${V1}/posts/${postId}/comments`, { text }), 200, `${user.handle} comments`);
}

export async function groupPosts(user: TestUser, groupId: string, query: Record<string, string> = {}): Promise<PleinContent[]> {
  return expectStatus(await user.api.get<PleinContent[]>(`${V1}/groups/${groupId}/posts`, { limit: 40, ...query }), 200, "group posts");
}

/** Waits until a post with id `uri` shows in the group for `user` (on `user`'s instance). */
export async function waitForGroupPost(user: TestUser, groupId: string, uri: string, options: WaitOptions = {}): Promise<PleinContent> {
  return waitFor(async () => (await groupPosts(user, groupId, { top_level: "false" })).find((p) => p.uri === uri),
    { message: `${uri} in group ${groupId} for ${user.handle}`, ...options });
}
