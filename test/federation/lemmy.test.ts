/**
 * A Plein user follows a Lemmy community (issue 7): a real Plein instance and
 * a server that behaves like Lemmy (test/support/fake-lemmy.ts: Group actor
 * with its own key, WebFinger, auto-accepting Follow with a signed Accept,
 * Announce(Create(Page)) and Announce(Page) of threads, Announce(Create(Note))
 * of comments, all embedded, none of them fetchable). The user finds the
 * community with search (resolve=true), follows it through the Mastodon API,
 * and sees its threads and comments in the home timeline and under the
 * community's account.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLemmy, type LemmyActor, type LemmyPost, startFakeLemmy } from "../support/fake-lemmy.ts";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import {
  type Account,
  expectStatus,
  homeTimeline,
  type Relationship,
  relationship,
  resolveAccount,
  type Status,
  waitForHome,
} from "../support/mastodon.ts";

let instances: TestInstance[];
let plein: TestInstance;
let fan: TestUser;
let lemmy: FakeLemmy;
let picard: LemmyActor;
let riker: LemmyActor;
let community: Account;

/** The last address of this process's loopback block: the test certificate names it, no instance here uses it. */
function lemmyHost(instance: TestInstance): string {
  return instance.host.replace(/\.\d+$/, ".12");
}

async function statusesOfCommunity(user: TestUser, query: Record<string, string | number> = {}): Promise<Status[]> {
  return expectStatus(await user.api.get<Status[]>(`/api/v1/accounts/${community.id}/statuses`, { limit: 40, ...query }), 200,
    "community statuses");
}

async function storedCount(iri: string): Promise<number> {
  const row = await plein.db.selectFrom("posts").select((eb) => eb.fn.countAll<string>().as("n")).where("iri", "=", iri)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

beforeAll(async () => {
  instances = await startInstances(1);
  plein = instances[0]!;
  fan = await plein.createUser("fan");
  lemmy = await startFakeLemmy(lemmyHost(plein));
  [picard, riker] = await Promise.all([lemmy.person("picard"), lemmy.person("riker")]);
});

afterAll(async () => {
  await lemmy?.close();
  await closeInstances(instances);
});

describe("a Plein user and a Lemmy community", () => {
  let thread: LemmyPost;
  let comment: LemmyPost;
  let reply: LemmyPost;

  it("finds the community by its handle: a group account", async () => {
    community = await resolveAccount(fan, lemmy.handle);
    expect(community).toMatchObject({ username: "tenforward", acct: lemmy.handle, display_name: "Ten Forward" });
    expect((community as Account & { group?: boolean }).group).toBe(true);
  });

  it("follows it: a signed Follow, the community's signed Accept, and the fan is a member", async () => {
    const answer = expectStatus(await fan.api.post<Relationship>(`/api/v1/accounts/${community.id}/follow`), 200, "follow");
    expect(answer.following || answer.requested).toBe(true);
    await waitFor(async () => (await relationship(fan, community.id)).following, { message: "the community accepted" });
    // Plein knocks first with an RFC 9421 signature, which Lemmy does not read (401); Fedify then signs draft-cavage.
    const follows = lemmy.received.filter((r) => r.activity?.type === "Follow");
    expect(follows.map((f) => [f.signature, f.status])).toEqual([["rfc9421", 401], ["draft-cavage", 200]]);
    expect(follows[1]).toMatchObject({ verified: true });
    expect(follows[1]!.activity).toMatchObject({ actor: fan.actor.iri, object: lemmy.community.iri });
    expect(lemmy.followers.map((f) => f.actor)).toEqual([fan.actor.iri]);
    const accept = lemmy.sent.find((s) => s.activity.type === "Accept");
    expect(accept?.status).toBe(202);
    const membership = await plein.db.selectFrom("memberships").selectAll()
      .where("group_id", "=", community.id).where("member_id", "=", fan.actor.id).executeTakeFirstOrThrow();
    expect(membership.state).toBe("member");
    expect(lemmy.errors).toEqual([]);
  });

  it("a thread, a comment and a reply to it reach the fan's home timeline, embedded and never fetched", async () => {
    thread = await lemmy.post(picard, "Shore leave on Risa", "<p>Who is coming along?</p>");
    comment = await lemmy.comment(riker, thread.object, "<p>Count me in.</p>");
    reply = await lemmy.comment(picard, comment.object, "<p>Splendid, Number One.</p>");
    expect(lemmy.sent.filter((s) => s.activity.type === "Announce").map((s) => s.status)).toEqual([202, 202, 202, 202]);

    const shownThread = await waitForHome(fan, thread.object.id as string);
    const shownComment = await waitForHome(fan, comment.object.id as string);
    const shownReply = await waitForHome(fan, reply.object.id as string);
    expect(shownThread.content).toContain("<strong>Shore leave on Risa</strong>");
    expect(shownThread.content).toContain("Who is coming along?");
    expect(shownThread.account).toMatchObject({ username: "picard", acct: `picard@${lemmy.host}` });
    expect(shownThread.visibility).toBe("public");
    expect(shownComment.in_reply_to_id).toBe(shownThread.id);
    expect(shownComment.account.username).toBe("riker");
    expect(shownReply.in_reply_to_id).toBe(shownComment.id);
    // Nothing was fetched: the embedded copies (same origin as the community) were trusted.
    expect(lemmy.objectFetches).toEqual([]);
  });

  it("each thread is stored once although Lemmy also sent it bare (Announce(Page)), in the community", async () => {
    await settle(instances);
    for (const post of [thread, comment, reply]) expect(await storedCount(post.object.id as string)).toBe(1);
    const rows = await plein.db.selectFrom("posts").select(["iri", "group_id", "type", "name", "visibility"])
      .where("iri", "in", [thread.object.id as string, comment.object.id as string]).execute();
    const byIri = new Map(rows.map((r) => [r.iri, r]));
    expect(byIri.get(thread.object.id as string))
      .toEqual({ iri: thread.object.id, group_id: community.id, type: "Page", name: "Shore leave on Risa", visibility: "public" });
    expect(byIri.get(comment.object.id as string))
      .toEqual({ iri: comment.object.id, group_id: community.id, type: "Note", name: null, visibility: "public" });
    const home = (await homeTimeline(fan)).map((s) => s.uri);
    expect(home.filter((u) => u === thread.object.id)).toHaveLength(1);
    // The announces are not shown as boosts by the community.
    expect((await homeTimeline(fan)).some((s) => s.reblog !== null)).toBe(false);
  });

  it("the community's account lists its threads and comments; exclude_replies keeps the threads", async () => {
    const all = await statusesOfCommunity(fan);
    // Newest first by arrival: Plein may handle announces that arrive together in any order.
    expect(all.map((s) => s.uri).sort()).toEqual([reply.object.id, comment.object.id, thread.object.id].sort());
    const threads = await statusesOfCommunity(fan, { exclude_replies: "true" });
    expect(threads.map((s) => s.uri)).toEqual([thread.object.id]);
    // Anonymous readers see the same public content.
    const anonymous = await plein.api().get<Status[]>(`/api/v1/accounts/${community.id}/statuses`);
    expect(anonymous.body.map((s) => s.uri)).toEqual(all.map((s) => s.uri));
    const account = expectStatus(await fan.api.get<Account & { group: boolean }>(`/api/v1/accounts/${community.id}`), 200, "account");
    expect(account.group).toBe(true);
  });

  it("unfollowing sends a signed Undo Follow; the community stops sending, and nothing new is taken from it", async () => {
    const answer = expectStatus(await fan.api.post<Relationship>(`/api/v1/accounts/${community.id}/unfollow`), 200, "unfollow");
    expect(answer.following).toBe(false);
    await waitFor(() => lemmy.followers.length === 0, { message: "the community dropped its follower" });
    const undo = lemmy.received.filter((r) => r.activity?.type === "Undo").at(-1);
    expect(undo).toMatchObject({ signature: "draft-cavage", verified: true, status: 200 });
    expect(undo!.activity).toMatchObject({ actor: fan.actor.iri, object: { type: "Follow", object: lemmy.community.iri } });
    expect(await plein.db.selectFrom("memberships").select("id").where("group_id", "=", community.id).execute()).toEqual([]);
    // A thread is no longer sent; one delivered to the shared inbox anyway is not taken.
    const late = await lemmy.post(picard, "After you left", "<p>too late</p>");
    expect(lemmy.sent.filter((s) => s.activity === late.announce)).toEqual([]);
    expect(await lemmy.deliver(`${plein.origin}/inbox`, late.announce)).toBe(202);
    await settle(instances);
    expect(await storedCount(late.object.id as string)).toBe(0);
  });
});
