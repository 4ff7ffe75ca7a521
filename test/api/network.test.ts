/**
 * Who sees an account's followers and follows ("network"): one rule
 * (src/domain/relationships.ts canSeeNetwork) for the Mastodon API and the
 * ActivityPub collections. Mastodon's behaviour: the owner always; nobody else
 * when the account hides its network (`hide_collections`) or blocks the viewer.
 * A local account that never chose hides its network while locked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount, MastodonCredentialAccount } from "../../src/api/mastodon/entities/account.ts";
import { type FakeActor, FakeRemote } from "../federation/fake-remote.ts";
import { type Api, ORIGIN, startApi, type User } from "./support.ts";

const AP = "application/activity+json";
type Json = Record<string, unknown>;

let api: Api;
let remote: FakeRemote;
let carol: FakeActor;
let bob: User; // another local user, follows everyone below
let carl: User; // followed by everyone below
let mallory: User; // blocked by alice
const accounts: Record<string, User> = {};

/** name → [locked, hide_collections sent in update_credentials (undefined: never chosen), hidden?] */
const CASES = {
  alice: { locked: false, hide: undefined, hidden: false },
  hana: { locked: false, hide: true, hidden: true },
  lotte: { locked: true, hide: undefined, hidden: true },
  lars: { locked: true, hide: false, hidden: false },
} as const;
type Name = keyof typeof CASES;
const NAMES = Object.keys(CASES) as Name[];

async function follow(follower: User, followee: User) {
  const res = await api.request("POST", `/api/v1/accounts/${followee.id}/follow`, { token: follower.token });
  expect(res.status, res.text).toBe(200);
  if (CASES[followee.actor.username as Name]?.locked) {
    const ok = await api.request("POST", `/api/v1/follow_requests/${follower.id}/authorize`, { token: followee.token });
    expect(ok.status, ok.text).toBe(200);
  }
}

beforeAll(async () => {
  remote = new FakeRemote();
  await remote.start();
  api = await startApi({ env: { PLEIN_ALLOW_PRIVATE_ADDRESS: "true" } });
  [bob, carl, mallory] = await Promise.all([api.user("bob"), api.user("carl"), api.user("mallory")]);
  for (const name of NAMES) {
    const user = await api.user(name, { locked: CASES[name].locked });
    accounts[name] = user;
    const hide = CASES[name].hide;
    if (hide !== undefined) {
      const res = await api.request("PATCH", "/api/v1/accounts/update_credentials", { token: user.token, form: { hide_collections: hide ? "1" : "0" } });
      expect(res.status, res.text).toBe(200);
    }
    await follow(bob, user);
    await follow(user, carl);
  }
  carol = await remote.addActor("carol");
  await remote.store(api.running.deps.db, "plein.test", carol);
  const blocks = await api.request("POST", `/api/v1/accounts/${mallory.id}/block`, { token: accounts.alice!.token });
  expect(blocks.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await remote?.stop();
});

const ids = (list: MastodonAccount[]) => list.map((a) => a.id);

describe("Mastodon API: GET /api/v1/accounts/:id/followers and /following", () => {
  it.each(NAMES)("%s: the owner always sees both lists", async (name) => {
    const owner = accounts[name]!;
    const followers = await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${owner.id}/followers`, { token: owner.token });
    const following = await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${owner.id}/following`, { token: owner.token });
    expect([followers.status, following.status]).toEqual([200, 200]);
    expect(ids(followers.body)).toEqual([bob.id]);
    expect(ids(following.body)).toEqual([carl.id]);
  });

  it.each(NAMES)("%s: another local user and an anonymous reader see them unless the network is hidden", async (name) => {
    const owner = accounts[name]!;
    const expected = CASES[name].hidden ? { followers: [], following: [] } : { followers: [bob.id], following: [carl.id] };
    for (const token of [bob.token, carl.token, undefined]) {
      const who = token ? "a local user" : "anonymous";
      const followers = await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${owner.id}/followers`, { ...(token ? { token } : {}) });
      const following = await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${owner.id}/following`, { ...(token ? { token } : {}) });
      expect(followers.status, who).toBe(200);
      expect({ followers: ids(followers.body), following: ids(following.body) }, who).toEqual(expected);
    }
  });

  it("hides the lists from an account the owner blocks, not the totals", async () => {
    const alice = accounts.alice!;
    for (const path of ["followers", "following"]) {
      const res = await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${alice.id}/${path}`, { token: mallory.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
    }
    const shown = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`, { token: mallory.token });
    expect([shown.body.followers_count, shown.body.following_count]).toEqual([1, 1]);
  });

  it("shows the setting in source.hide_collections and changes it through update_credentials", async () => {
    for (const name of NAMES) {
      const me = await api.request<MastodonCredentialAccount>("GET", "/api/v1/accounts/verify_credentials", { token: accounts[name]!.token });
      expect(me.body.source.hide_collections, name).toBe(CASES[name].hidden);
    }
    const user = await api.user("toggler");
    await follow(bob, user);
    const list = async () => ids((await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${user.id}/followers`)).body);
    expect(await list()).toEqual([bob.id]);
    const hidden = await api.request<MastodonCredentialAccount>("PATCH", "/api/v1/accounts/update_credentials", { token: user.token, json: { hide_collections: true } });
    expect(hidden.body.source.hide_collections).toBe(true);
    expect(await list()).toEqual([]);
    const shown = await api.request<MastodonCredentialAccount>("PATCH", "/api/v1/accounts/update_credentials", { token: user.token, json: { hide_collections: "false" } });
    expect(shown.body.source.hide_collections).toBe(false);
    expect(await list()).toEqual([bob.id]);
    const refused = await api.request("PATCH", "/api/v1/accounts/update_credentials", { token: user.token, json: { hide_collections: "perhaps" } });
    expect(refused.status).toBe(422);
  });
});

describe("ActivityPub: /users/:name/followers and /following", () => {
  async function fetchAp(path: string, signer?: FakeActor): Promise<{ status: number; body: Json }> {
    const url = new URL(path, ORIGIN).href;
    const init = { headers: { accept: AP } };
    const res = await api.running.app.request(signer ? await remote.signed(signer, url, init) : new Request(url, init));
    const text = await res.text();
    return { status: res.status, body: res.status === 200 ? JSON.parse(text) as Json : {} };
  }

  const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

  /** The collection and every item reachable from it (first page; there is one). */
  async function collection(path: string, signer?: FakeActor) {
    const top = await fetchAp(path, signer);
    expect(top.status, path).toBe(200);
    const inline = asArray(top.body.orderedItems ?? top.body.items);
    if (typeof top.body.first !== "string") return { totalItems: top.body.totalItems, items: inline, paged: false };
    const page = await fetchAp(top.body.first, signer);
    expect(page.status).toBe(200);
    return { totalItems: top.body.totalItems, items: [...inline, ...asArray(page.body.orderedItems ?? page.body.items)], paged: true };
  }

  const iri = (user: User) => user.actor.iri;

  it.each(NAMES)("%s: anonymous and signed readers get the lists, or only the totals when hidden", async (name) => {
    const hidden = CASES[name].hidden;
    for (const signer of [undefined, carol]) {
      const who = signer ? "signed" : "anonymous";
      const followers = await collection(`/users/${name}/followers`, signer);
      const following = await collection(`/users/${name}/following`, signer);
      expect([followers.totalItems, following.totalItems], who).toEqual([1, 1]);
      expect({ followers: followers.items, following: following.items, paged: [followers.paged, following.paged] }, who)
        .toEqual(hidden
          ? { followers: [], following: [], paged: [false, false] }
          : { followers: [iri(bob)], following: [iri(carl)], paged: [true, true] });
      // A page asked for directly is refused when hidden.
      for (const path of ["followers", "following"]) {
        expect((await fetchAp(`/users/${name}/${path}?cursor=`, signer)).status, `${who} ${path} page`).toBe(hidden ? 404 : 200);
      }
    }
  });

  it("gives only the totals to a signed reader the owner blocks", async () => {
    const user = await api.user("blocker");
    await follow(bob, user);
    const carolRow = (await api.request<{ accounts: MastodonAccount[] }>("GET", `/api/v2/search?q=${encodeURIComponent(carol.iri)}`, { token: user.token })).body.accounts[0]!;
    expect((await collection("/users/blocker/followers", carol)).items).toEqual([iri(bob)]);
    expect((await api.request("POST", `/api/v1/accounts/${carolRow.id}/block`, { token: user.token })).status).toBe(200);
    const blocked = await collection("/users/blocker/followers", carol);
    expect(blocked).toEqual({ totalItems: 1, items: [], paged: false });
    expect((await collection("/users/blocker/followers")).items).toEqual([iri(bob)]);
  });
});
