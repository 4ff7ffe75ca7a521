/**
 * End-to-end federation between three real instances over HTTPS, driven
 * through the Mastodon client API: A (alice), B (bob, lotte who approves her
 * followers), C (carol). What each instance stores and shows is asserted on
 * that instance. Tests run in order and build on each other's follows; each
 * one re-establishes (idempotently) the follows it relies on.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeInstances,
  settle,
  startInstances,
  type TestInstance,
  type TestUser,
  waitFor,
} from "../support/instances.ts";
import {
  type Account,
  type Context,
  expectStatus,
  fetchObject,
  findInHome,
  followAndWait,
  getStatus,
  homeTimeline,
  marker,
  me,
  postStatus,
  type Relationship,
  relationship,
  resolveAccount,
  searchAccount,
  signedFetchObject,
  type Status,
  unfollow,
  waitForHome,
} from "../support/mastodon.ts";

async function accountsOf(user: TestUser, path: string): Promise<Account[]> {
  return expectStatus(await user.api.get<Account[]>(path, { limit: 80 }), 200, path);
}

async function storedPostCount(instance: TestInstance, iri: string): Promise<number> {
  const row = await instance.db.selectFrom("posts").select((eb) => eb.fn.countAll<string>().as("n"))
    .where("iri", "=", iri).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function contextOf(user: TestUser, id: string): Promise<Context> {
  return expectStatus(await user.api.get<Context>(`/api/v1/statuses/${id}/context`), 200, `context of ${id}`);
}

const uris = (statuses: Status[]) => statuses.map((s) => s.uri);

describe("federation between three instances (Mastodon API over HTTPS)", () => {
  let instances: TestInstance[];
  let A: TestInstance;
  let B: TestInstance;
  let C: TestInstance;
  let alice: TestUser;
  let bob: TestUser;
  let lotte: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    instances = await startInstances(3);
    [A, B, C] = instances as [TestInstance, TestInstance, TestInstance];
    alice = await A.createUser("alice", { displayName: "Alice A" });
    bob = await B.createUser("bob", { displayName: "Bob B" });
    lotte = await B.createUser("lotte", { displayName: "Lotte B", locked: true });
    carol = await C.createUser("carol", { displayName: "Carol C" });
  });

  afterAll(async () => {
    await closeInstances(instances);
  });

  it("finds a remote account by its handle", async () => {
    const found = await searchAccount(alice.api, bob.handle);
    expect(found).toBeDefined();
    expect(found!.acct).toBe(bob.handle);
    expect(found!.username).toBe("bob");
    expect(found!.display_name).toBe("Bob B");
    expect(found!.url.startsWith(`${B.origin}/`)).toBe(true);

    // Known now: the lookup endpoint answers with the same account.
    const lookup = await alice.api.get<Account>("/api/v1/accounts/lookup", { acct: bob.handle });
    expect(lookup.status).toBe(200);
    expect(lookup.body.id).toBe(found!.id);

    // A user that does not exist, and a host where nothing listens: no account, no error.
    expect(await searchAccount(alice.api, `nobody@${B.host}`)).toBeUndefined();
    const deadHost = B.host.replace(/\.\d+$/, ".12");
    expect(await searchAccount(alice.api, `bob@${deadHost}`)).toBeUndefined();
    // Without resolve=true nothing is fetched: C has never heard of bob.
    expect(await searchAccount(carol.api, bob.handle, false)).toBeUndefined();
    const onC = await C.db.selectFrom("actors").select("id").where("iri", "=", `${B.origin}/users/bob`).executeTakeFirst();
    expect(onC).toBeUndefined();
  });

  it("follows a remote account, which accepts", async () => {
    const bobOnA = await resolveAccount(alice, bob.handle);
    const answer = expectStatus(await alice.api.post<Relationship>(`/api/v1/accounts/${bobOnA.id}/follow`), 200, "follow");
    expect(answer.following || answer.requested).toBe(true);

    await waitFor(async () => (await relationship(alice, bobOnA.id)).following, { message: "alice follows bob" });
    const rel = await relationship(alice, bobOnA.id);
    expect(rel.requested).toBe(false);

    const aliceId = (await me(alice.api)).id;
    const following = await accountsOf(alice, `/api/v1/accounts/${aliceId}/following`);
    expect(following.map((a) => a.acct)).toContain(bob.handle);

    const bobId = (await me(bob.api)).id;
    const followers = await waitFor(async () => {
      const list = await accountsOf(bob, `/api/v1/accounts/${bobId}/followers`);
      return list.some((a) => a.acct === alice.handle) ? list : undefined;
    }, { message: "alice among bob's followers on B" });
    expect(followers.map((a) => a.acct)).toEqual([alice.handle]);
  });

  it("holds a follow of a locked account until it is approved", async () => {
    const lotteOnA = await resolveAccount(alice, lotte.handle);
    expect(lotteOnA.locked).toBe(true);
    const answer = expectStatus(await alice.api.post<Relationship>(`/api/v1/accounts/${lotteOnA.id}/follow`), 200, "follow");
    expect(answer.following).toBe(false);
    expect(answer.requested).toBe(true);

    const request = await waitFor(async () => {
      const list = await accountsOf(lotte, "/api/v1/follow_requests");
      return list.find((a) => a.acct === alice.handle);
    }, { message: "alice's request on B" });

    // B knows of the request; A still waits, and lotte's followers do not count alice.
    await settle(instances);
    const pending = await relationship(alice, lotteOnA.id);
    expect(pending.following).toBe(false);
    expect(pending.requested).toBe(true);
    const lotteId = (await me(lotte.api)).id;
    expect((await accountsOf(lotte, `/api/v1/accounts/${lotteId}/followers`)).map((a) => a.acct)).not.toContain(alice.handle);

    // Another user cannot approve it.
    const foreign = await bob.api.post(`/api/v1/follow_requests/${request.id}/authorize`);
    expect(foreign.status).toBeGreaterThanOrEqual(400);
    expect(foreign.status).toBeLessThan(500);

    const approved = expectStatus(
      await lotte.api.post<Relationship>(`/api/v1/follow_requests/${request.id}/authorize`), 200, "authorize");
    expect(approved.followed_by).toBe(true);

    await waitFor(async () => (await relationship(alice, lotteOnA.id)).following, { message: "alice follows lotte" });
    expect((await relationship(alice, lotteOnA.id)).requested).toBe(false);
    expect((await accountsOf(lotte, `/api/v1/accounts/${lotteId}/followers`)).map((a) => a.acct)).toContain(alice.handle);
    expect(await accountsOf(lotte, "/api/v1/follow_requests")).toEqual([]);
  });

  it("delivers a followers-only post to followers and to nobody else", async () => {
    await followAndWait(bob, alice.handle);
    // A knows carol (and her inbox): only the audience rule keeps the post from C.
    await resolveAccount(alice, carol.handle);
    const word = marker("followers");
    const post = await postStatus(alice, { status: `Only for followers ${word}`, visibility: "private" });
    expect(post.visibility).toBe("private");

    const onB = await waitForHome(bob, post.uri);
    expect(onB.visibility).toBe("private");
    expect(onB.content).toContain(word);
    expect(onB.account.acct).toBe(alice.handle);
    // lotte, on the same instance as bob but no follower of alice, cannot see it.
    expect((await getStatus(lotte, onB.id)).status).toBe(404);
    expect(await findInHome(lotte, post.uri)).toBeUndefined();

    await settle(instances);
    expect(await storedPostCount(C, post.uri)).toBe(0);
    expect(await findInHome(carol, post.uri)).toBeUndefined();

    // Its URL answers exactly like a URL that names nothing, unsigned and signed
    // by a server that hosts no follower (C's instance actor, or carol herself).
    const missing = `${A.origin}/notes/${randomUUID()}`;
    const unsignedPost = await fetchObject(post.uri);
    const unsignedMissing = await fetchObject(missing);
    expect(unsignedPost.status).toBe(404);
    expect(unsignedPost).toEqual(unsignedMissing);
    for (const identifier of [C.host, "carol"]) {
      const signedPost = await signedFetchObject(C, identifier, post.uri);
      const signedMissing = await signedFetchObject(C, identifier, missing);
      expect(signedPost.status).toBe(404);
      expect(signedPost).toEqual(signedMissing);
    }
    // Signed by the follower it is served.
    const byBob = await signedFetchObject(B, "bob", post.uri);
    expect(byBob.status).toBe(200);
    expect(JSON.parse(byBob.text).id).toBe(post.uri);
  });

  it("delivers a direct post only to the mentioned", async () => {
    // carol follows alice now, but is not mentioned.
    await followAndWait(carol, alice.handle);
    const word = marker("direct");
    const post = await postStatus(alice, { status: `@${bob.handle} just for you ${word}`, visibility: "direct" });
    expect(post.visibility).toBe("direct");
    expect(post.mentions.map((m) => m.acct)).toEqual([bob.handle]);

    const onB = await waitForHome(bob, post.uri);
    expect(onB.visibility).toBe("direct");
    expect(onB.content).toContain(word);
    expect((await getStatus(bob, onB.id)).status).toBe(200);
    expect((await getStatus(lotte, onB.id)).status).toBe(404);

    await settle(instances);
    expect(await storedPostCount(C, post.uri)).toBe(0);
    expect(await findInHome(carol, post.uri)).toBeUndefined();
    expect(await storedPostCount(B, post.uri)).toBe(1);
    expect((await fetchObject(post.uri)).status).toBe(404);
    expect((await signedFetchObject(C, C.host, post.uri)).status).toBe(404);
  });

  it("delivers a public post to followers' home timelines on two other instances", async () => {
    await followAndWait(bob, alice.handle);
    await followAndWait(carol, alice.handle);
    const word = marker("public");
    const post = await postStatus(alice, { status: `Hello fediverse ${word}`, visibility: "public" });

    const [onB, onC] = await Promise.all([waitForHome(bob, post.uri), waitForHome(carol, post.uri)]);
    for (const copy of [onB, onC]) {
      expect(copy.visibility).toBe("public");
      expect(copy.content).toContain(word);
      expect(copy.account.acct).toBe(alice.handle);
      expect(copy.reblog).toBeNull();
    }
    // Delivered once per instance.
    await settle(instances);
    expect(await storedPostCount(B, post.uri)).toBe(1);
    expect(await storedPostCount(C, post.uri)).toBe(1);
    expect((await homeTimeline(bob)).filter((s) => s.uri === post.uri)).toHaveLength(1);
    // Public, so anyone may fetch it.
    const fetched = await fetchObject(post.uri);
    expect(fetched.status).toBe(200);
    expect(JSON.parse(fetched.text).id).toBe(post.uri);
  });

  it("threads replies across three instances", async () => {
    await followAndWait(bob, alice.handle);
    await followAndWait(carol, bob.handle);
    const root = await postStatus(alice, { status: `Thread root ${marker("root")}`, visibility: "public" });
    const rootOnB = await waitForHome(bob, root.uri);

    const reply1 = await postStatus(bob, {
      status: `@${alice.handle} first reply ${marker("r1")}`, visibility: "public", in_reply_to_id: rootOnB.id,
    });
    expect(reply1.in_reply_to_id).toBe(rootOnB.id);
    const reply1OnC = await waitForHome(carol, reply1.uri);

    const reply2 = await postStatus(carol, {
      status: `@${bob.handle} @${alice.handle} second reply ${marker("r2")}`, visibility: "public", in_reply_to_id: reply1OnC.id,
    });
    expect(reply2.in_reply_to_id).toBe(reply1OnC.id);

    // A: the root with both replies below it.
    const onA = await waitFor(async () => {
      const ctx = await contextOf(alice, root.id);
      return ctx.descendants.length >= 2 ? ctx : undefined;
    }, { message: "thread on A" });
    expect(uris(onA.ancestors)).toEqual([]);
    expect(uris(onA.descendants)).toEqual([reply1.uri, reply2.uri]);

    // B: bob's reply between the root and carol's reply.
    const onB = await waitFor(async () => {
      const ctx = await contextOf(bob, reply1.id);
      return ctx.descendants.length >= 1 ? ctx : undefined;
    }, { message: "thread on B" });
    expect(uris(onB.ancestors)).toEqual([root.uri]);
    expect(uris(onB.descendants)).toEqual([reply2.uri]);

    // C: carol's reply under both.
    const onC = await waitFor(async () => {
      const ctx = await contextOf(carol, reply2.id);
      return ctx.ancestors.length >= 2 ? ctx : undefined;
    }, { message: "thread on C" });
    expect(uris(onC.ancestors)).toEqual([root.uri, reply1.uri]);
    expect(uris(onC.descendants)).toEqual([]);

    // The origin counts the direct reply.
    await waitFor(async () => (await getStatus(alice, root.id)).body.replies_count === 1, { message: "replies_count on A" });
  });

  it("counts likes and boosts from other instances on the origin", async () => {
    await followAndWait(bob, alice.handle);
    await followAndWait(carol, alice.handle);
    const post = await postStatus(alice, { status: `Like and boost me ${marker("lb")}`, visibility: "public" });
    const [onB, onC] = await Promise.all([waitForHome(bob, post.uri), waitForHome(carol, post.uri)]);

    const liked = expectStatus(await bob.api.post<Status>(`/api/v1/statuses/${onB.id}/favourite`), 200, "favourite");
    expect(liked.favourited).toBe(true);
    const boosted = expectStatus(await carol.api.post<Status>(`/api/v1/statuses/${onC.id}/reblog`), 200, "reblog");
    expect(boosted.reblog?.uri ?? boosted.uri).toBe(post.uri);

    const counted = await waitFor(async () => {
      const s = (await getStatus(alice, post.id)).body;
      return s.favourites_count === 1 && s.reblogs_count === 1 ? s : undefined;
    }, { message: "favourites_count and reblogs_count on A" });
    expect(counted.uri).toBe(post.uri);
    // Liking twice counts once.
    expectStatus(await bob.api.post<Status>(`/api/v1/statuses/${onB.id}/favourite`), 200, "favourite again");
    await settle(instances);
    expect((await getStatus(alice, post.id)).body.favourites_count).toBe(1);

    // Undo both.
    expectStatus(await bob.api.post<Status>(`/api/v1/statuses/${onB.id}/unfavourite`), 200, "unfavourite");
    expectStatus(await carol.api.post<Status>(`/api/v1/statuses/${onC.id}/unreblog`), 200, "unreblog");
    await waitFor(async () => {
      const s = (await getStatus(alice, post.id)).body;
      return s.favourites_count === 0 && s.reblogs_count === 0;
    }, { message: "counts back to 0 on A" });
  });

  it("propagates an edit to the other instances", async () => {
    await followAndWait(bob, alice.handle);
    await followAndWait(carol, alice.handle);
    const before = marker("before");
    const after = marker("after");
    const post = await postStatus(alice, { status: `First version ${before}`, visibility: "public" });
    const [onB, onC] = await Promise.all([waitForHome(bob, post.uri), waitForHome(carol, post.uri)]);
    expect(onB.edited_at).toBeNull();

    const edited = expectStatus(await alice.api.put<Status>(`/api/v1/statuses/${post.id}`, { status: `Second version ${after}` }), 200, "edit");
    expect(edited.content).toContain(after);
    expect(edited.edited_at).not.toBeNull();

    for (const [user, copy] of [[bob, onB], [carol, onC]] as const) {
      const seen = await waitFor(async () => {
        const s = (await getStatus(user, copy.id)).body;
        return s.content.includes(after) ? s : undefined;
      }, { message: `edit seen by ${user.handle}` });
      expect(seen.content).not.toContain(before);
      expect(seen.edited_at).not.toBeNull();
      expect(seen.uri).toBe(post.uri);
    }
  });

  it("propagates a delete, and the object URL answers 410", async () => {
    await followAndWait(bob, alice.handle);
    await followAndWait(carol, alice.handle);
    const post = await postStatus(alice, { status: `Soon gone ${marker("gone")}`, visibility: "public" });
    const [onB, onC] = await Promise.all([waitForHome(bob, post.uri), waitForHome(carol, post.uri)]);

    expectStatus(await alice.api.delete<Status>(`/api/v1/statuses/${post.id}`), 200, "delete");
    expect((await getStatus(alice, post.id)).status).toBe(404);

    for (const [user, copy] of [[bob, onB], [carol, onC]] as const) {
      await waitFor(async () => (await getStatus(user, copy.id)).status === 404, { message: `delete seen by ${user.handle}` });
      expect(await findInHome(user, post.uri)).toBeUndefined();
    }
    expect((await fetchObject(post.uri)).status).toBe(410);
  });

  it("stops delivering after an unfollow", async () => {
    await followAndWait(bob, alice.handle);
    await followAndWait(carol, alice.handle);
    const answer = await unfollow(bob, alice.handle);
    expect(answer.following).toBe(false);

    const aliceId = (await me(alice.api)).id;
    await waitFor(async () => {
      const followers = await accountsOf(alice, `/api/v1/accounts/${aliceId}/followers`);
      return !followers.some((a) => a.acct === bob.handle) && followers.some((a) => a.acct === carol.handle);
    }, { message: "bob gone from alice's followers on A" });

    const post = await postStatus(alice, { status: `After the unfollow ${marker("after")}`, visibility: "public" });
    await waitForHome(carol, post.uri);
    await settle(instances);
    expect(await findInHome(bob, post.uri)).toBeUndefined();
    expect(await storedPostCount(B, post.uri)).toBe(0);
  });

  it("propagates a profile update to followers' servers", async () => {
    await followAndWait(carol, alice.handle);
    const updated = expectStatus(await alice.api.patch<Account & { note: string }>("/api/v1/accounts/update_credentials", {
      display_name: "Alice Updated", note: "Werkt bij #gemeente",
      fields_attributes: [{ name: "Afdeling", value: "Dienstverlening" }],
    }), 200, "update_credentials");
    expect(updated.display_name).toBe("Alice Updated");

    const aliceOnC = await waitFor(async () => {
      const found = await C.db.selectFrom("actors").selectAll().where("iri", "=", alice.actor.iri).executeTakeFirst();
      return found?.display_name === "Alice Updated" ? found : undefined;
    }, { message: "alice's new name on C" });
    expect(aliceOnC.summary_html).toContain("gemeente");
    expect(JSON.stringify(aliceOnC.fields)).toContain("Dienstverlening");
    const shown = await resolveAccount(carol, alice.handle);
    expect(shown.display_name).toBe("Alice Updated");
  });

  it("ends follows both ways on the other server when a remote account is blocked", async () => {
    await followAndWait(carol, alice.handle);
    const carolOnA = await resolveAccount(alice, carol.handle);
    const answer = expectStatus(await alice.api.post<Relationship>(`/api/v1/accounts/${carolOnA.id}/block`), 200, "block");
    expect(answer.blocking).toBe(true);
    expect(answer.followed_by).toBe(false);

    const aliceOnC = await resolveAccount(carol, alice.handle);
    await waitFor(async () => !(await relationship(carol, aliceOnC.id)).following, { message: "carol no longer follows alice on C" });

    // Blocked: alice's posts are no longer delivered to carol.
    const post = await postStatus(alice, { status: `After the block ${marker("block")}`, visibility: "public" });
    await settle(instances);
    expect(await findInHome(carol, post.uri)).toBeUndefined();

    const undone = expectStatus(await alice.api.post<Relationship>(`/api/v1/accounts/${carolOnA.id}/unblock`), 200, "unblock");
    expect(undone.blocking).toBe(false);
  });
});
