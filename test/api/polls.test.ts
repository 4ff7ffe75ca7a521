/**
 * Polls through the Mastodon API: a status with a poll (JSON and form
 * bodies, the limits /api/v2/instance announces), the Poll entity on
 * statuses, GET /api/v1/polls/:id and POST /api/v1/polls/:id/votes with
 * Mastodon's refusals, and the `poll` notifications when a poll ends.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import type { MastodonPoll } from "../../src/api/mastodon/entities/poll.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { sql } from "kysely";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { closePoll, POLL_LIMITS, POLL_REFRESH_INTERVAL_SECONDS } from "../../src/domain/polls.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let counter = 0;

beforeAll(async () => {
  api = await startApi();
});

afterAll(async () => {
  await api?.close();
});

function freshUser(prefix: string, scopes?: string[]): Promise<User> {
  counter += 1;
  return api.user(`${prefix}${counter}`, scopes ? { scopes } : {});
}

const POLL = { options: ["tea", "coffee", "water"], expires_in: 3600 };

async function pollStatus(author: User, poll: Record<string, unknown> = POLL, extra: Record<string, unknown> = {}): Promise<MastodonStatus> {
  return api.post(author, { status: "what do we drink?", poll, ...extra });
}

async function getPoll(id: string, token?: string) {
  return api.request<MastodonPoll>("GET", `/api/v1/polls/${id}`, token === undefined ? {} : { token });
}

async function vote(id: string, user: User, choices: unknown) {
  return api.request<MastodonPoll>("POST", `/api/v1/polls/${id}/votes`, { token: user.token, json: { choices } });
}

/** Moves a poll's end into the past, as if its time had run out. */
async function expire(pollId: string) {
  const db = api.running.deps.db;
  const row = await db.selectFrom("posts").select("extra").where("id", "=", pollId).executeTakeFirstOrThrow();
  const extra = row.extra as { poll: Record<string, unknown> };
  await db.updateTable("posts").set({ extra: JSON.stringify({ poll: { ...extra.poll, endTime: new Date(Date.now() - 1000).toISOString() } }) })
    .where("id", "=", pollId).execute();
}

/** The documented attributes of https://docs.joinmastodon.org/entities/Poll/ */
function expectPollShape(p: MastodonPoll) {
  expect(Object.keys(p).sort()).toEqual(
    ["emojis", "expired", "expires_at", "id", "multiple", "options", "own_votes", "voted", "voters_count", "votes_count"]
      .filter((k) => k in p).sort(),
  );
  expect(p.id).toMatch(/^\d+$/);
  expect(typeof p.expired).toBe("boolean");
  expect(typeof p.multiple).toBe("boolean");
  expect(Number.isInteger(p.votes_count)).toBe(true);
  expect(p.emojis).toEqual([]);
  for (const o of p.options) expect(typeof o.title).toBe("string");
  if (p.expires_at !== null) expect(new Date(p.expires_at).toISOString()).toBe(p.expires_at);
}

describe("a status with a poll", () => {
  it("is made from JSON, carries the Poll entity, and is federated as a Question", async () => {
    const alice = await freshUser("asker");
    const before = Date.now();
    const status = await pollStatus(alice, { ...POLL, multiple: true });
    expect(status.poll).not.toBeNull();
    const poll = status.poll!;
    expectPollShape(poll);
    expect(poll).toMatchObject({
      id: status.id, expired: false, multiple: true, votes_count: 0, voters_count: 0, voted: true, own_votes: [],
      options: [{ title: "tea", votes_count: 0 }, { title: "coffee", votes_count: 0 }, { title: "water", votes_count: 0 }],
    });
    const expires = Date.parse(poll.expires_at!);
    expect(expires).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
    expect(status.uri).toMatch(/\/questions\//);
    // Read back, anonymously: no voted/own_votes without a signed-in viewer.
    const anonymous = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${status.id}`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.poll).not.toHaveProperty("voted");
    expectPollShape(anonymous.body.poll!);
  });

  it("is made from a form body (poll[options][]=...)", async () => {
    const alice = await freshUser("former");
    const res = await api.request<MastodonStatus>("POST", "/api/v1/statuses", {
      token: alice.token,
      form: { status: "form poll", "poll[options][]": ["yes", "no"], "poll[expires_in]": "300", "poll[hide_totals]": "true" },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.poll).toMatchObject({ multiple: false, options: [{ title: "yes", votes_count: 0 }, { title: "no", votes_count: 0 }] });
  });

  it("keeps the limits /api/v2/instance announces (422 beyond them), and refuses a poll with media", async () => {
    const alice = await freshUser("limits");
    const instance = await api.request<{ configuration: { polls: Record<string, number> } }>("GET", "/api/v2/instance");
    expect(instance.body.configuration.polls).toEqual({
      max_options: POLL_LIMITS.maxOptions,
      max_characters_per_option: POLL_LIMITS.maxCharactersPerOption,
      min_expiration: POLL_LIMITS.minExpirationSeconds,
      max_expiration: POLL_LIMITS.maxExpirationSeconds,
    });
    const { max_options, max_characters_per_option, min_expiration, max_expiration } = instance.body.configuration.polls;
    const tooMany = Array.from({ length: max_options! + 1 }, (_, i) => `option ${i}`);
    const exactly = Array.from({ length: max_options! }, (_, i) => `${i}`.padEnd(max_characters_per_option!, "x"));
    for (const poll of [
      { options: ["alone"], expires_in: 3600 },
      { options: tooMany, expires_in: 3600 },
      { options: ["a", "x".repeat(max_characters_per_option! + 1)], expires_in: 3600 },
      { options: ["same", "same"], expires_in: 3600 },
      { options: ["a", " "], expires_in: 3600 },
      { options: ["a", "b"], expires_in: min_expiration! - 1 },
      { options: ["a", "b"], expires_in: max_expiration! + 1 },
      { options: ["a", "b"] },
      { options: ["a", "b"], expires_in: "soon" },
      { options: "a,b", expires_in: 3600 },
      { options: [1, 2], expires_in: 3600 },
    ]) {
      const res = await api.request("POST", "/api/v1/statuses", { token: alice.token, json: { status: "bad poll", poll } });
      expect(res.status, JSON.stringify(poll)).toBe(422);
    }
    const withMedia = await api.request("POST", "/api/v1/statuses", {
      token: alice.token, json: { status: "poll and picture", poll: POLL, media_ids: ["1"] },
    });
    expect(withMedia.status).toBe(422);
    expect((withMedia.body as { error: string }).error).toMatch(/poll/i);
    // At the limits, it is taken.
    await pollStatus(alice, { options: exactly, expires_in: min_expiration });
    await pollStatus(alice, { options: ["a", "b"], expires_in: max_expiration });
    // Nothing of the refused ones was stored.
    const mine = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${alice.id}/statuses`, { token: alice.token });
    expect(mine.body.length).toBe(2);
  });
});

describe("an edit of a status with a poll", () => {
  it("may repeat the poll, keeping its votes, but not change it or add one", async () => {
    const [alice, bob] = await Promise.all([freshUser("edita"), freshUser("editb")]);
    const status = await pollStatus(alice);
    expect((await vote(status.id, bob, [2])).status).toBe(200);
    const edit = (body: Record<string, unknown>, id = status.id) =>
      api.request<MastodonStatus>("PUT", `/api/v1/statuses/${id}`, { token: alice.token, json: body });
    const same = await edit({ status: "What do we drink, really?", poll: POLL });
    expect(same.status, same.text).toBe(200);
    expect(same.body.poll).toMatchObject({ votes_count: 1, options: [{ title: "tea" }, { title: "coffee" }, { title: "water" }] });
    expect((await edit({ status: "no poll field" })).status).toBe(200);
    expect((await edit({ status: "other options", poll: { options: ["tea", "milk"], expires_in: 3600 } })).status).toBe(422);
    expect((await edit({ status: "now several", poll: { ...POLL, multiple: true } })).status).toBe(422);
    const plain = await api.post(alice, { status: "plain" });
    expect((await edit({ status: "plain with poll", poll: POLL }, plain.id)).status).toBe(422);
    expect((await getPoll(status.id, alice.token)).body).toMatchObject({ multiple: false, votes_count: 1 });
  });
});

describe("GET /api/v1/polls/:id", () => {
  it("answers the poll with the viewer's own votes", async () => {
    const [alice, bob] = await Promise.all([freshUser("pa"), freshUser("pb")]);
    const status = await pollStatus(alice);
    expect((await vote(status.id, bob, ["1"])).status).toBe(200);
    const res = await getPoll(status.id, bob.token);
    expect(res.status).toBe(200);
    expectPollShape(res.body);
    expect(res.body).toMatchObject({ id: status.id, votes_count: 1, voters_count: 1, voted: true, own_votes: [1] });
    expect(res.body.options.map((o) => o.votes_count)).toEqual([0, 1, 0]);
    const anonymous = await getPoll(status.id);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).not.toHaveProperty("own_votes");
  });

  it("401 for a bad token, 403 for a token without read:statuses, 404 for no poll or one the viewer may not see", async () => {
    const [alice, writeOnly, stranger] = await Promise.all([freshUser("pc"), freshUser("pw", ["write"]), freshUser("ps")]);
    const status = await pollStatus(alice);
    expect((await getPoll(status.id, "not-a-token")).status).toBe(401);
    expect((await getPoll(status.id, writeOnly.token)).status).toBe(403);
    expect((await getPoll("999999999")).status).toBe(404);
    expect((await getPoll("nope")).status).toBe(404);
    const plain = await api.post(alice, { status: "no poll here" });
    expect((await getPoll(plain.id, alice.token)).status).toBe(404);
    const hidden = await pollStatus(alice, POLL, { visibility: "private" });
    expect((await getPoll(hidden.id, stranger.token)).status).toBe(404);
    expect((await getPoll(hidden.id)).status).toBe(404);
    expect((await getPoll(hidden.id, alice.token)).status).toBe(200);
  });
});

describe("POST /api/v1/polls/:id/votes", () => {
  it("counts a vote (form body too), and several choices on a multiple-choice poll", async () => {
    const [alice, bob, carol] = await Promise.all([freshUser("va"), freshUser("vb"), freshUser("vc")]);
    const single = await pollStatus(alice);
    const form = await api.request<MastodonPoll>("POST", `/api/v1/polls/${single.id}/votes`, { token: bob.token, form: { "choices[]": ["2"] } });
    expect(form.status, form.text).toBe(200);
    expectPollShape(form.body);
    expect(form.body).toMatchObject({ votes_count: 1, voted: true, own_votes: [2] });
    const multi = await pollStatus(alice, { ...POLL, multiple: true });
    const both = await vote(multi.id, carol, [0, 2]);
    expect(both.status, both.text).toBe(200);
    expect(both.body).toMatchObject({ votes_count: 2, voters_count: 1, own_votes: [0, 2] });
    expect(both.body.options.map((o) => o.votes_count)).toEqual([1, 0, 1]);
    // The author sees the counts on the status.
    const seen = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${multi.id}`, { token: alice.token });
    expect(seen.body.poll).toMatchObject({ votes_count: 2, voters_count: 1, voted: true, own_votes: [] });
  });

  it("422 for repeated, out-of-range, malformed or missing choices, several on a single-choice poll, a second vote, one's own poll, an ended poll", async () => {
    const [alice, bob, carol] = await Promise.all([freshUser("ra"), freshUser("rb"), freshUser("rc")]);
    const single = await pollStatus(alice);
    const multi = await pollStatus(alice, { ...POLL, multiple: true });
    for (const [id, choices] of [
      [multi.id, [1, 1]], [single.id, [3]], [single.id, [-1]], [single.id, ["one"]], [single.id, []], [single.id, undefined],
      [single.id, [0, 1]], [single.id, [1.5]],
    ] as const) {
      const res = await vote(id, bob, choices);
      expect(res.status, JSON.stringify(choices)).toBe(422);
    }
    expect((await vote(single.id, bob, [0])).status).toBe(200);
    expect((await vote(single.id, bob, [1])).status).toBe(422);
    expect((await vote(multi.id, bob, [0])).status).toBe(200);
    expect((await vote(multi.id, bob, [1])).status).toBe(422);
    expect((await vote(single.id, alice, [0])).status).toBe(422);
    await expire(single.id);
    const late = await vote(single.id, carol, [0]);
    expect(late.status).toBe(422);
    expect((late.body as unknown as { error: string }).error).toMatch(/ended/);
    // Only bob's votes counted.
    const poll = await getPoll(single.id, alice.token);
    expect(poll.body).toMatchObject({ expired: true, votes_count: 1 });
  });

  it("401 without a token, 403 without write:statuses, 404 for a poll the voter may not see", async () => {
    const [alice, readOnly, stranger] = await Promise.all([freshUser("xa"), freshUser("xr", ["read"]), freshUser("xs")]);
    const status = await pollStatus(alice);
    expect((await api.request("POST", `/api/v1/polls/${status.id}/votes`, { json: { choices: [0] } })).status).toBe(401);
    expect((await vote(status.id, readOnly, [0])).status).toBe(403);
    const hidden = await pollStatus(alice, POLL, { visibility: "private" });
    expect((await vote(hidden.id, stranger, [0])).status).toBe(404);
    expect((await vote("999999999", stranger, [0])).status).toBe(404);
    expect((await getPoll(hidden.id, alice.token)).body.votes_count).toBe(0);
  });

  it("hides the counts of a hide_totals poll from all but its author until it ends", async () => {
    const [alice, bob] = await Promise.all([freshUser("ha"), freshUser("hb")]);
    const status = await pollStatus(alice, { ...POLL, hide_totals: true });
    const voted = await vote(status.id, bob, [0]);
    expect(voted.body.options.map((o) => o.votes_count)).toEqual([null, null, null]);
    expect((await getPoll(status.id, alice.token)).body.options.map((o) => o.votes_count)).toEqual([1, 0, 0]);
    await expire(status.id);
    expect((await getPoll(status.id, bob.token)).body.options.map((o) => o.votes_count)).toEqual([1, 0, 0]);
  });
});

describe("the end of a poll", () => {
  it("notifies its author and its voters once (type poll), and closes it", async () => {
    const [alice, bob, carol] = await Promise.all([freshUser("ea"), freshUser("eb"), freshUser("ec")]);
    const status = await pollStatus(alice);
    expect((await vote(status.id, bob, [0])).status).toBe(200);
    const db = api.running.deps.db;
    // Too early (its end moved later): nothing happens but a new closing, due at the end.
    const closings = async () => (await db.selectFrom("queue_messages").select("payload").where("queue", "=", DELIVERY_QUEUE).execute())
      .filter((r) => JSON.stringify(r.payload) === JSON.stringify({ type: "poll.close", postId: status.id })).length;
    const queued = await closings();
    await closePoll(db, status.id);
    expect((await getPoll(status.id, alice.token)).body.expired).toBe(false);
    expect(await closings()).toBe(queued + 1);
    await expire(status.id);
    await closePoll(db, status.id);
    await closePoll(db, status.id);
    for (const user of [alice, bob]) {
      const list = await api.request<MastodonNotification[]>("GET", "/api/v1/notifications?types[]=poll", { token: user.token });
      expect(list.body.map((n) => ({ type: n.type, account: n.account.id, status: n.status?.id }))).toEqual([
        { type: "poll", account: alice.id, status: status.id },
      ]);
      expect(list.body[0]!.status!.poll!.expired).toBe(true);
    }
    const none = await api.request<MastodonNotification[]>("GET", "/api/v1/notifications?types[]=poll", { token: carol.token });
    expect(none.body).toEqual([]);
    // The stored poll is closed now.
    const row = await db.selectFrom("posts").select("extra").where("id", "=", status.id).executeTakeFirstOrThrow();
    expect((row.extra as { poll: { closed: string | null } }).poll.closed).not.toBeNull();
  });
});

describe("the Update of a local poll's tallies", () => {
  it("is queued at once for the first vote, then at most once a minute", async () => {
    const [alice, bob, carol, dave] = await Promise.all([freshUser("ua"), freshUser("ub"), freshUser("uc"), freshUser("ud")]);
    const status = await pollStatus(alice);
    const db = api.running.deps.db;
    const updates = async () => (await db.selectFrom("queue_messages")
      .select(["payload", sql<number>`extract(epoch from (available_at - now()))`.as("in_seconds")])
      .where("queue", "=", DELIVERY_QUEUE).orderBy("id").execute())
      .filter((r) => (r.payload as { type: string; postId?: string }).type === "poll.update" && (r.payload as { postId: string }).postId === status.id);
    expect(await updates()).toEqual([]);
    expect((await vote(status.id, bob, [0])).status).toBe(200);
    const first = await updates();
    expect(first.length).toBe(1);
    expect(Number(first[0]!.in_seconds)).toBeLessThanOrEqual(0);
    expect((await vote(status.id, carol, [1])).status).toBe(200);
    const second = await updates();
    expect(second.length).toBe(2);
    expect(Number(second[1]!.in_seconds)).toBeGreaterThan(POLL_REFRESH_INTERVAL_SECONDS - 10);
    // A third vote within the minute rides on the Update already due.
    expect((await vote(status.id, dave, [1])).status).toBe(200);
    expect((await updates()).length).toBe(2);
  });
});
