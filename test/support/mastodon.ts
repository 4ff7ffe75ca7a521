/**
 * The slice of Mastodon's client API entities that federation tests read, and
 * helpers that drive instances through it (lookup, follow, post, find a post
 * in a timeline), plus signed ActivityPub GETs as another instance would make.
 */
import { signRequest } from "@fedify/fedify";
import type { ApiClient, ApiResponse, TestInstance, TestUser, WaitOptions } from "./instances.ts";
import { waitFor } from "./instances.ts";

export interface Account {
  id: string;
  username: string;
  acct: string;
  url: string;
  uri?: string;
  display_name: string;
  locked: boolean;
  followers_count: number;
  following_count: number;
  statuses_count: number;
}

export interface Mention {
  id: string;
  username: string;
  acct: string;
  url: string;
}

export type MastodonVisibility = "public" | "unlisted" | "private" | "direct";

export interface Status {
  id: string;
  uri: string;
  url: string | null;
  account: Account;
  content: string;
  visibility: MastodonVisibility;
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  reblog: Status | null;
  favourites_count: number;
  reblogs_count: number;
  replies_count: number;
  favourited?: boolean;
  reblogged?: boolean;
  mentions: Mention[];
  created_at: string;
  edited_at: string | null;
}

export interface Relationship {
  id: string;
  following: boolean;
  requested: boolean;
  followed_by: boolean;
  blocking: boolean;
  domain_blocking?: boolean;
}

export interface Context {
  ancestors: Status[];
  descendants: Status[];
}

export interface SearchResults {
  accounts: Account[];
  statuses: Status[];
  hashtags: unknown[];
}

export const ACTIVITY_JSON = "application/activity+json";

/** Fails with the response when the status is not the expected one. */
export function expectStatus<T>(response: ApiResponse<T>, status: number, what: string): T {
  if (response.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${response.status}: ${response.text.slice(0, 500)}`);
  }
  return response.body;
}

/** The account of the token's owner. */
export async function me(api: ApiClient): Promise<Account> {
  return expectStatus(await api.get<Account>("/api/v1/accounts/verify_credentials"), 200, "verify_credentials");
}

/** `GET /api/v2/search?resolve=true` for one account; the account, or undefined. */
export async function searchAccount(api: ApiClient, handle: string, resolve = true): Promise<Account | undefined> {
  const results = expectStatus(
    await api.get<SearchResults>("/api/v2/search", { q: handle, resolve, type: "accounts" }), 200, `search ${handle}`);
  const bare = handle.replace(/^@/, "").toLowerCase();
  return results.accounts.find((a) => a.acct.toLowerCase() === bare);
}

/** Resolves `name@host` through the viewer's own instance; fails if it cannot. */
export async function resolveAccount(viewer: TestUser, handle: string): Promise<Account> {
  const account = await searchAccount(viewer.api, handle);
  if (!account) throw new Error(`${viewer.handle} could not resolve ${handle}`);
  return account;
}

/** `GET /api/v2/search?resolve=true` for a post by its URL or id. */
export async function resolveStatus(viewer: TestUser, uri: string): Promise<Status | undefined> {
  const results = expectStatus(
    await viewer.api.get<SearchResults>("/api/v2/search", { q: uri, resolve: true, type: "statuses" }), 200, `search ${uri}`);
  return results.statuses.find((s) => s.uri === uri);
}

export async function relationship(viewer: TestUser, accountId: string): Promise<Relationship> {
  const list = expectStatus(
    await viewer.api.get<Relationship[]>("/api/v1/accounts/relationships", { "id[]": [accountId] }), 200, "relationships");
  const found = list.find((r) => r.id === accountId);
  if (!found) throw new Error(`No relationship with ${accountId} in ${JSON.stringify(list)}`);
  return found;
}

/**
 * `follower` follows `handle` (resolved on the follower's instance) and waits
 * until the follow is accepted. Idempotent. Returns the followee as the
 * follower's instance knows it.
 */
export async function followAndWait(follower: TestUser, handle: string, options: WaitOptions = {}): Promise<Account> {
  const account = await resolveAccount(follower, handle);
  const current = await relationship(follower, account.id);
  if (!current.following) {
    expectStatus(await follower.api.post<Relationship>(`/api/v1/accounts/${account.id}/follow`), 200, `follow ${handle}`);
    await waitFor(async () => (await relationship(follower, account.id)).following,
      { message: `${follower.handle} following ${handle}`, ...options });
  }
  return account;
}

/** Unfollows and returns the relationship the API answered with. */
export async function unfollow(follower: TestUser, handle: string): Promise<Relationship> {
  const account = await resolveAccount(follower, handle);
  return expectStatus(await follower.api.post<Relationship>(`/api/v1/accounts/${account.id}/unfollow`), 200, `unfollow ${handle}`);
}

export interface NewStatus {
  status: string;
  visibility?: MastodonVisibility;
  in_reply_to_id?: string;
  spoiler_text?: string;
}

export async function postStatus(user: TestUser, status: NewStatus): Promise<Status> {
  return expectStatus(await user.api.post<Status>("/api/v1/statuses", status), 200, `${user.handle} posts`);
}

export async function homeTimeline(user: TestUser, limit = 40): Promise<Status[]> {
  return expectStatus(await user.api.get<Status[]>("/api/v1/timelines/home", { limit }), 200, `${user.handle} home`);
}

/** Finds a post (not a boost of it) by ActivityPub id in the user's home timeline. */
export async function findInHome(user: TestUser, uri: string): Promise<Status | undefined> {
  return (await homeTimeline(user)).find((s) => s.uri === uri);
}

/** Waits until the post with `uri` shows in the user's home timeline; returns that instance's copy. */
export function waitForHome(user: TestUser, uri: string, options: WaitOptions = {}): Promise<Status> {
  return waitFor(() => findInHome(user, uri), { message: `${uri} in ${user.handle}'s home`, ...options });
}

export async function getStatus(user: TestUser, id: string): Promise<ApiResponse<Status>> {
  return user.api.get<Status>(`/api/v1/statuses/${id}`);
}

/** An unsigned ActivityPub GET. */
export async function fetchObject(url: string): Promise<{ status: number; text: string; contentType: string | null }> {
  const response = await fetch(url, { headers: { accept: ACTIVITY_JSON } });
  return { status: response.status, text: await response.text(), contentType: response.headers.get("content-type") };
}

/**
 * An ActivityPub GET signed (draft-cavage HTTP Signatures, RSA) with the key
 * of `identifier` on `instance`: its instance actor when identifier is the
 * instance's host name, otherwise one of its users.
 */
export async function signedFetchObject(instance: TestInstance, identifier: string, url: string): Promise<{ status: number; text: string }> {
  const ctx = instance.running.federation.federation.createContext(new URL(instance.origin), instance.running.deps);
  const pairs = await ctx.getActorKeyPairs(identifier);
  const rsa = pairs.find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
  if (!rsa) throw new Error(`${identifier} on ${instance.host} has no RSA key`);
  const request = await signRequest(new Request(url, { headers: { accept: ACTIVITY_JSON } }), rsa.privateKey, rsa.keyId);
  const response = await fetch(request);
  return { status: response.status, text: await response.text() };
}

/** The text of a status without its HTML. */
export function plainText(status: Status): string {
  return status.content.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
}

/** A short random word to find one post among others. */
export function marker(prefix = "m"): string {
  return `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}
