/**
 * Polls between servers. Two real instances over HTTPS: alice on A asks a
 * poll, bob on B finds it, votes through B's API; A counts the vote (sent
 * as Mastodon sends one: a Note named after the option, replying to the
 * Question), and B hears the new tallies by an Update of the Question. A
 * hostile server (fake-remote) then votes twice, for an option that does
 * not exist, on an ended poll and on a closed group's poll it may not see:
 * none of it is counted, nothing is stored as a reply, nothing fails.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import type { MastodonPoll } from "../../src/api/mastodon/entities/poll.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { closePoll, newPollExtra, schedulePollClose } from "../../src/domain/polls.ts";
import { AS_CONTEXT, deliverOverNetwork, type FakeActor, type FakeRemote, newId, startFakeRemote } from "../support/fake-remote.ts";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { expectStatus, resolveStatus, type Status } from "../support/mastodon.ts";
import { createGroup as createPleinGroup, groupOn, joinGroup, waitForGroupPost, waitForMembership } from "../support/plein.ts";

type PollStatus = Status & { poll: MastodonPoll | null };

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let alice: TestUser;
let bob: TestUser;
let remote: FakeRemote;
let mallory: FakeActor;

beforeAll(async () => {
  [instances, remote] = await Promise.all([startInstances(2), startFakeRemote()]);
  [A, B] = instances as [TestInstance, TestInstance];
  alice = await A.createUser("alice");
  bob = await B.createUser("bob");
  mallory = await remote.actor("mallory");
});

afterAll(async () => {
  await remote?.close();
  await closeInstances(instances);
});

async function pollOn(user: TestUser, id: string): Promise<MastodonPoll> {
  return expectStatus(await user.api.get<MastodonPoll>(`/api/v1/polls/${id}`), 200, `poll ${id}`);
}

async function askPoll(options: string[] = ["tea", "coffee"]): Promise<PollStatus> {
  return expectStatus(await alice.api.post<PollStatus>("/api/v1/statuses", {
    status: "What do we drink?", poll: { options, expires_in: 3600 },
  }), 200, "poll status");
}

/** The stored posts of `iri` (a vote must never become one). */
async function postsWithIri(instance: TestInstance, iri: string): Promise<number> {
  const rows = await instance.db.selectFrom("posts").select("id").where("iri", "=", iri).execute();
  return rows.length;
}

describe("a poll on A, a voter on B", () => {
  test("B's vote is counted on A once, and B hears the new tallies", async () => {
    const asked = await askPoll();
    const onB = await waitFor(() => resolveStatus(bob, asked.uri)) as PollStatus;
    expect(onB.poll).toMatchObject({
      expired: false, multiple: false, votes_count: 0, voted: false, own_votes: [],
      options: [{ title: "tea", votes_count: 0 }, { title: "coffee", votes_count: 0 }],
    });
    expect(onB.poll!.expires_at).toBe(asked.poll!.expires_at);

    const voted = expectStatus(await bob.api.post<MastodonPoll>(`/api/v1/polls/${onB.id}/votes`, { choices: [1] }), 200, "vote");
    expect(voted).toMatchObject({ voted: true, own_votes: [1] });

    // A counts it.
    await waitFor(async () => {
      const poll = await pollOn(alice, asked.id);
      expect(poll).toMatchObject({ votes_count: 1, voters_count: 1, options: [{ votes_count: 0 }, { votes_count: 1 }] });
      return true;
    });
    // B hears it from A (bob follows nobody: a voter is sent the poll's tallies).
    await waitFor(async () => {
      const poll = await pollOn(bob, onB.id);
      expect(poll).toMatchObject({ votes_count: 1, voters_count: 1, own_votes: [1], options: [{ votes_count: 0 }, { votes_count: 1 }] });
      return true;
    });
    await settle(instances);
    // The vote was no reply on either side, and the poll's status shows no edit.
    const votes = await A.db.selectFrom("poll_votes").select(["iri", "choice"]).execute();
    expect(votes.map((v) => v.choice)).toEqual([1]);
    expect(await postsWithIri(A, votes[0]!.iri)).toBe(0);
    expect(await postsWithIri(B, votes[0]!.iri)).toBe(0);
    const status = expectStatus(await alice.api.get<PollStatus>(`/api/v1/statuses/${asked.id}`), 200, "status");
    expect(status.replies_count).toBe(0);
    expect((await bob.api.get<PollStatus>(`/api/v1/statuses/${onB.id}`)).body.edited_at).toBeNull();
    // Voting again is refused on B and sends nothing.
    expect((await bob.api.post(`/api/v1/polls/${onB.id}/votes`, { choices: [0] })).status).toBe(422);
    await settle(instances);
    expect((await pollOn(alice, asked.id)).votes_count).toBe(1);

    // When it ends, B tells bob (its local voter); A tells alice.
    for (const instance of [A, B]) {
      const row = await instance.db.selectFrom("posts").select(["id", "extra"]).where("iri", "=", asked.uri).executeTakeFirstOrThrow();
      const extra = row.extra as { poll: Record<string, unknown> };
      await instance.db.updateTable("posts").set({ extra: JSON.stringify({ poll: { ...extra.poll, endTime: new Date(Date.now() - 1000).toISOString() } }) })
        .where("id", "=", row.id).execute();
      await closePoll(instance.db, row.id);
    }
    for (const [user, id] of [[alice, asked.id], [bob, onB.id]] as const) {
      const list = expectStatus(await user.api.get<MastodonNotification[]>("/api/v1/notifications", { "types[]": "poll" }), 200, "notifications");
      expect(list.map((n) => [n.type, n.status?.id])).toEqual([["poll", id]]);
    }
    // A's closing goes out as an Update with `closed`.
    await waitFor(async () => {
      const row = await B.db.selectFrom("posts").select("extra").where("iri", "=", asked.uri).executeTakeFirstOrThrow();
      expect((row.extra as { poll: { closed: string | null } }).poll.closed).not.toBeNull();
      return true;
    });
  });
});

describe("a poll in a closed group on A, a member on B", () => {
  test("the member's vote counts, and its server hears the tallies", async () => {
    const group = await createPleinGroup(alice, { name: "peiling", visibility: "closed", join_mode: "open" });
    const onB = await groupOn(bob, `${group.account.username}@${A.host}`);
    await joinGroup(bob, onB);
    await waitForMembership(bob, onB.id, "member");
    const asked = expectStatus(await alice.api.post<PollStatus>("/api/v1/statuses", {
      status: `@${group.account.username} Welke dag?`, poll: { options: ["maandag", "dinsdag"], expires_in: 3600 },
    }), 200, "poll in the group");
    expect(asked.visibility).not.toBe("public");
    await waitForGroupPost(bob, onB.id, asked.uri);
    const row = await B.db.selectFrom("posts").select(["id", "visibility"]).where("iri", "=", asked.uri).executeTakeFirstOrThrow();
    expect(row.visibility).toBe("group");
    expect((await pollOn(bob, row.id)).options.map((o) => o.title)).toEqual(["maandag", "dinsdag"]);
    expectStatus(await bob.api.post<MastodonPoll>(`/api/v1/polls/${row.id}/votes`, { choices: [0] }), 200, "member votes");
    await waitFor(async () => (await pollOn(alice, asked.id)).votes_count === 1);
    await waitFor(async () => (await pollOn(bob, row.id)).votes_count === 1, { message: "B hears the group poll's tallies" });
    // Closed content: the Update of its tallies is in A's delivery audit, and B's vote in B's.
    await settle(instances);
    const audited = async (instance: TestInstance) => (await instance.db.selectFrom("delivery_audit").select("activity_type")
      .where("object_iri", "=", asked.uri).where("result", "=", "delivered").execute()).map((r) => r.activity_type);
    expect(await audited(A)).toContain("Update");
    expect(await audited(B)).toContain("Create");
  });
});

describe("a hostile voter", () => {
  async function sendVote(poll: { uri: string }, title: string): Promise<{ status: number; noteIri: string }> {
    const noteIri = newId(mallory, "votes");
    const res = await deliverOverNetwork(`${A.origin}/inbox`, {
      "@context": AS_CONTEXT, id: newId(mallory), type: "Create", actor: mallory.iri, to: [alice.actor.iri],
      object: { id: noteIri, type: "Note", attributedTo: mallory.iri, name: title, inReplyTo: poll.uri, to: [alice.actor.iri] },
    }, mallory);
    await settle(instances);
    return { status: res.status, noteIri };
  }

  async function countOf(pollUri: string): Promise<number> {
    const row = await A.db.selectFrom("poll_votes").innerJoin("posts", "posts.id", "poll_votes.post_id")
      .select((eb) => eb.fn.countAll<string>().as("n")).where("posts.iri", "=", pollUri).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  test("is counted once per poll, never for an option that does not exist, never as a reply", async () => {
    const asked = await askPoll();
    const first = await sendVote(asked, "tea");
    expect(first.status).toBe(202);
    expect((await pollOn(alice, asked.id)).options.map((o) => o.votes_count)).toEqual([1, 0]);
    for (const title of ["tea", "coffee", "whisky", ""]) {
      const again = await sendVote(asked, title);
      expect(again.status, title).toBeLessThan(500);
      expect(await postsWithIri(A, again.noteIri)).toBe(0);
    }
    expect(await countOf(asked.uri)).toBe(1);
    expect((await pollOn(alice, asked.id)).options.map((o) => o.votes_count)).toEqual([1, 0]);
    expect(await postsWithIri(A, first.noteIri)).toBe(0);
  });

  test("an ended poll takes no vote", async () => {
    const asked = await askPoll();
    const row = await A.db.selectFrom("posts").select(["id", "extra"]).where("iri", "=", asked.uri).executeTakeFirstOrThrow();
    const extra = row.extra as { poll: Record<string, unknown> };
    await A.db.updateTable("posts").set({ extra: JSON.stringify({ poll: { ...extra.poll, endTime: new Date(Date.now() - 1000).toISOString() } }) })
      .where("id", "=", row.id).execute();
    const late = await sendVote(asked, "tea");
    expect(late.status).toBe(202);
    expect(await countOf(asked.uri)).toBe(0);
    expect(await postsWithIri(A, late.noteIri)).toBe(0);
  });

  test("a closed group's poll it may not see takes no vote", async () => {
    const group = await createGroup(A.db, new URL(A.origin), alice.actor, { name: "dicht", visibility: "closed", joinMode: "open", modules: [] });
    const post = await createLocalPost(A.db, new URL(A.origin), alice.actor, {
      contentHtml: "<p>Binnen?</p>", visibility: "public", groupId: group.actor.id, type: "Question",
      extra: newPollExtra({ options: ["ja", "nee"], expiresInSeconds: 3600, multiple: false, hideTotals: false }),
    }, schedulePollClose);
    expect(post.visibility).toBe("group");
    const attempt = await sendVote({ uri: post.iri }, "ja");
    expect(attempt.status).toBe(202);
    expect(await countOf(post.iri)).toBe(0);
    expect(await postsWithIri(A, attempt.noteIri)).toBe(0);
  });
});
