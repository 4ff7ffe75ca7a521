/**
 * Mastodon's streaming API on a real instance over HTTPS: WebSocket and
 * Server-Sent Events, the streams and events Elk, Phanpy, Tusky and masto.js
 * use, and the visibility rule applied to every event before it is sent (a
 * closed group's post never reaches a non-member). Nothing-arrived checks
 * use a barrier, never a sleep: events are sent in the order they happen, so
 * once a later event arrived, an earlier one that was due would have too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { streamHub, type StreamClient } from "../../src/api/streaming/hub.ts";
import { startStreaming } from "../../src/api/streaming/index.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { join } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { authenticateToken, revokeToken } from "../../src/domain/tokens.ts";
import { testDatabaseUrl } from "../support/db.ts";
import { closeInstances, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { openStreamSocket, type StreamSocket } from "../support/streaming.ts";

let instances: TestInstance[];
let instance: TestInstance;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let dave: TestUser;
let group: GroupView;
const sockets: StreamSocket[] = [];

function openSocket(query: Record<string, string>, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<StreamSocket> {
  return openStreamSocket(instance.origin, query, options).then((socket) => {
    sockets.push(socket);
    return socket;
  });
}

/** Messages about post `id`: its update or edit (by the status's id or a boost's original), or its deletion. */
const about = (s: StreamSocket, id: string) => s.messages.filter((m) => {
  if (m.payload === undefined) return false;
  if (m.event === "delete") return m.payload === id;
  const status = JSON.parse(m.payload) as MastodonStatus;
  return status.id === id || status.reblog?.id === id;
});

const updates = (s: StreamSocket, stream: string) =>
  s.messages.filter((m) => m.event === "update" && m.stream?.[0] === stream).map((m) => JSON.parse(m.payload!) as MastodonStatus);

async function post(user: TestUser, body: Record<string, unknown>): Promise<MastodonStatus> {
  const res = await user.api.post<MastodonStatus>("/api/v1/statuses", body);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

beforeAll(async () => {
  instances = await startInstances(1);
  instance = instances[0]!;
  [alice, bob, carol, dave] = await Promise.all([
    instance.createUser("alice"), instance.createUser("bob"), instance.createUser("carol"), instance.createUser("dave"),
  ]);
  // bob and dave follow alice; carol follows nobody. bob is a member of alice's closed group, dave is not.
  for (const follower of [bob, dave]) {
    const followed = await follower.api.post(`/api/v1/accounts/${alice.actor.id}/follow`);
    expect(followed.status, followed.text).toBe(200);
  }
  const { db, config } = instance.running.deps;
  group = await createGroup(db, config.origin, alice.actor, { name: "raad", visibility: "closed", joinMode: "open", moderatePosts: false, modules: [] });
  await join(db, config.origin, group, bob.actor);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await closeInstances(instances);
});

describe("health and SSE", () => {
  it("answers OK on /api/v1/streaming/health", async () => {
    const res = await instance.api().get("/api/v1/streaming/health");
    expect(res.status).toBe(200);
    expect(res.text).toBe("OK");
  });

  it("refuses a user stream without a token (401), with a bad token (401), and an unknown tag (400)", async () => {
    for (const path of ["/api/v1/streaming/user", "/api/v1/streaming/user/notification"]) {
      const res = await instance.api().get(path);
      expect(res.status, path).toBe(401);
      expect(typeof (res.body as { error?: unknown }).error).toBe("string");
    }
    const bad = await instance.api("not-a-valid-token-at-all-xyz").get("/api/v1/streaming/user");
    expect(bad.status).toBe(401);
    expect((await instance.api().get("/api/v1/streaming/hashtag")).status).toBe(400);
    expect((await instance.api().get("/api/v1/streaming/list", { list: "1" })).status).toBe(401);
  });

  it("refuses a token without a read scope (401)", async () => {
    const writer = await instance.createUser("writer", { scopes: ["write"] });
    expect((await writer.api.get("/api/v1/streaming/user")).status).toBe(401);
  });

  it("streams a public post to an anonymous public SSE client as `event: update`", async () => {
    const controller = new AbortController();
    const res = await fetch(`${instance.origin}/api/v1/streaming/public/local`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const first = await reader.read();
    text += first.value ?? "";
    const posted = await post(alice, { status: "over SSE", visibility: "public" });
    await waitFor(async () => {
      if (text.includes(posted.id)) return true;
      const { value } = await reader.read();
      text += value ?? "";
      return text.includes(posted.id);
    }, { message: "SSE update" });
    const event = text.split("\n\n").find((block) => block.includes(posted.id))!;
    expect(event.split("\n")[0]).toBe("event: update");
    const payload = JSON.parse(event.split("\n")[1]!.replace(/^data: /, "")) as MastodonStatus;
    expect(payload.id).toBe(posted.id);
    controller.abort();
  });
});

describe("WebSocket", () => {
  it("sends a followee's new post to the user stream as `update`, rendered as the REST API renders it, then `delete`", async () => {
    const s = await openSocket({ stream: "user", access_token: bob.token });
    const posted = await post(alice, { status: "hello followers", visibility: "private" });
    const update = await s.next((m) => m.event === "update" && JSON.parse(m.payload!).id === posted.id, "update");
    expect(update.stream).toEqual(["user"]);
    const rest = await bob.api.get<MastodonStatus>(`/api/v1/statuses/${posted.id}`);
    expect(JSON.parse(update.payload!)).toEqual(rest.body);

    const edited = await alice.api.put(`/api/v1/statuses/${posted.id}`, { status: "hello followers, edited" });
    expect(edited.status, edited.text).toBe(200);
    const changed = await s.next((m) => m.event === "status.update" && JSON.parse(m.payload!).id === posted.id, "status.update");
    expect(JSON.parse(changed.payload!).content).toContain("edited");

    expect((await alice.api.delete(`/api/v1/statuses/${posted.id}`)).status).toBe(200);
    const deleted = await s.next((m) => m.event === "delete", "delete");
    expect(deleted).toEqual({ stream: ["user"], event: "delete", payload: posted.id });
  });

  it("sends a notification on a favourite to the user stream and to user:notification (token in Sec-WebSocket-Protocol)", async () => {
    const s = await openSocket({}, { protocols: [alice.token] });
    s.send({ type: "subscribe", stream: "user" });
    s.send({ type: "subscribe", stream: "user:notification" });
    await s.barrier();
    const posted = await post(alice, { status: "star me" });
    expect((await bob.api.post(`/api/v1/statuses/${posted.id}/favourite`)).status).toBe(200);
    const onUser = await s.next((m) => m.event === "notification" && m.stream?.[0] === "user", "notification on user");
    const onNotification = await s.next((m) => m.event === "notification" && m.stream?.[0] === "user:notification", "notification on user:notification");
    const n = JSON.parse(onUser.payload!) as MastodonNotification;
    expect(n.type).toBe("favourite");
    expect(n.account.id).toBe(bob.actor.id);
    expect(n.status?.id).toBe(posted.id);
    expect(onNotification.payload).toBe(onUser.payload);
    const listed = await alice.api.get<MastodonNotification[]>("/api/v1/notifications");
    expect(listed.body.find((x) => x.id === n.id)).toEqual(n);
  });

  it("sends public posts to the public streams and hashtag streams, never followers-only ones", async () => {
    const s = await openSocket({ stream: "public" });
    s.send({ type: "subscribe", stream: "public:local" });
    s.send({ type: "subscribe", stream: "public:remote" });
    s.send({ type: "subscribe", stream: "hashtag", tag: "Beleid" });
    s.send({ type: "subscribe", stream: "hashtag:local", tag: "beleid" });
    await s.barrier();
    const hidden = await post(alice, { status: "for followers #beleid", visibility: "private" });
    const open = await post(alice, { status: "for everyone #beleid", visibility: "public" });
    for (const stream of ["public", "public:local", "hashtag", "hashtag:local"]) {
      await s.next((m) => m.event === "update" && m.stream?.[0] === stream && JSON.parse(m.payload!).id === open.id, stream);
    }
    expect(s.messages.find((m) => m.stream?.[0] === "hashtag")!.stream).toEqual(["hashtag", "beleid"]);
    expect(updates(s, "public:remote")).toEqual([]);
    for (const stream of ["public", "public:local", "hashtag", "hashtag:local"]) {
      expect(updates(s, stream).map((x) => x.id), stream).not.toContain(hidden.id);
    }
  });

  it("sends a closed group's post to a member's user stream, never to a non-member's nor to the public stream", async () => {
    const member = await openSocket({ stream: "user", access_token: bob.token });
    // dave follows the author: only the visibility rule keeps the group's post from his home stream.
    const outsider = await openSocket({ stream: "user", access_token: dave.token });
    const anonymous = await openSocket({ stream: "public" });
    const outsiderPublic = await openSocket({ stream: "public", access_token: carol.token });
    const { db, config } = instance.running.deps;
    const secret = await createLocalPost(db, config.origin, alice.actor, {
      contentHtml: "<p>closed agenda</p>", contentSource: "closed agenda", visibility: "public", groupId: group.actor.id,
    });
    expect(secret.visibility).toBe("group");
    const got = await member.next((m) => m.event === "update" && JSON.parse(m.payload!).id === secret.id, "member update");
    expect(JSON.parse(got.payload!).visibility).toBe("private");
    // Barrier: alice's next public post reaches all of these; once it arrived, the group's post (earlier) would have too.
    const later = await post(alice, { status: "alice's public note", visibility: "public" });
    await outsider.next((m) => m.event === "update" && JSON.parse(m.payload!).id === later.id, "outsider barrier");
    await anonymous.next((m) => m.event === "update" && JSON.parse(m.payload!).id === later.id, "public barrier");
    await outsiderPublic.next((m) => m.event === "update" && JSON.parse(m.payload!).id === later.id, "outsider public barrier");
    for (const s of [outsider, anonymous, outsiderPublic]) {
      expect(about(s, secret.id), "closed post leaked").toEqual([]);
    }
    // Its deletion is told to the member only.
    expect((await alice.api.delete(`/api/v1/statuses/${secret.id}`)).status).toBe(200);
    await member.next((m) => m.event === "delete" && m.payload === secret.id, "member delete");
    const last = await post(alice, { status: "alice again", visibility: "public" });
    await outsider.next(() => about(outsider, last.id).length > 0, "outsider barrier 2");
    await anonymous.next(() => about(anonymous, last.id).length > 0, "public barrier 2");
    await outsiderPublic.next(() => about(outsiderPublic, last.id).length > 0, "outsider public barrier 2");
    for (const s of [outsider, anonymous, outsiderPublic]) {
      expect(about(s, secret.id), "closed post's deletion leaked").toEqual([]);
    }
  });

  it("ends the streams of a token once it is revoked, at the next event", async () => {
    const eve = await instance.createUser("eve");
    const followed = await eve.api.post(`/api/v1/accounts/${alice.actor.id}/follow`);
    expect(followed.status, followed.text).toBe(200);
    const s = await openSocket({ stream: "user", access_token: eve.token });
    const first = await post(alice, { status: "before revocation", visibility: "public" });
    await s.next((m) => m.event === "update" && JSON.parse(m.payload!).id === first.id, "before revocation");
    const auth = await authenticateToken(instance.db, eve.token);
    await revokeToken(instance.db, auth!.tokenId);
    const second = await post(alice, { status: "after revocation", visibility: "public" });
    await waitFor(() => s.closed, { message: "stream closed" });
    expect(about(s, second.id)).toEqual([]);
  });

  it("refuses the upgrade for a user stream without a token (401), a bad token (401) and an unknown stream (400)", async () => {
    await expect(openSocket({ stream: "user" })).rejects.toMatchObject({ status: 401 });
    await expect(openSocket({ stream: "public", access_token: "bad-token-bad-token-bad" })).rejects.toMatchObject({ status: 401 });
    await expect(openSocket({ stream: "nonsense" })).rejects.toMatchObject({ status: 400 });
    await expect(openSocket({ stream: "hashtag" })).rejects.toMatchObject({ status: 400 });
  });

  it("answers bad messages with an error and keeps serving: malformed JSON, unknown streams, user streams without a token, many (un)subscriptions", async () => {
    const s = await openSocket({});
    s.sendRaw("{not json");
    s.sendRaw(Buffer.from([0, 1, 2]));
    s.send([1, 2]);
    s.send({ type: "dance" });
    s.send({ type: "subscribe", stream: "user" });
    s.send({ type: "subscribe", stream: "list", list: "1" });
    for (let i = 0; i < 300; i++) {
      s.send({ type: "subscribe", stream: "hashtag", tag: `t${i}` });
      s.send({ type: "unsubscribe", stream: "hashtag", tag: `t${i}` });
    }
    s.send({ type: "subscribe", stream: "public:local" });
    await s.barrier();
    const errors = s.messages.filter((m) => m.error !== undefined);
    expect(errors.slice(0, 6)).toEqual([
      { error: "Messages are JSON objects", status: 400 },
      { error: "Messages are JSON text", status: 400 },
      { error: "Messages are JSON objects", status: 400 },
      { error: "Unknown message type", status: 400 },
      { error: "Missing access token", status: 401 },
      { error: "Missing access token", status: 401 },
    ]);
    // Still subscribed to what was asked last, and the server still answers.
    const posted = await post(alice, { status: "still here", visibility: "public" });
    await s.next((m) => m.event === "update" && m.stream?.[0] === "public:local" && JSON.parse(m.payload!).id === posted.id, "after abuse");
    expect((await instance.api().get("/api/v1/streaming/health")).text).toBe("OK");
  });
});

describe("the list stream", () => {
  it("carries the list's posts to its owner only (WebSocket and SSE), never a closed group's post to a non-member", async () => {
    // bob (a member of alice's closed group) and dave (not a member) both list alice.
    const listOf = async (user: TestUser) => {
      const made = await user.api.post<{ id: string }>("/api/v1/lists", { title: "alice" });
      expect(made.status, made.text).toBe(200);
      expect((await user.api.post(`/api/v1/lists/${made.body.id}/accounts`, { account_ids: [alice.actor.id] })).status).toBe(200);
      return made.body.id;
    };
    const bobList = await listOf(bob);
    const daveList = await listOf(dave);
    const owner = await openSocket({ access_token: bob.token });
    owner.send({ type: "subscribe", stream: "list", list: bobList });
    await owner.barrier();
    expect(owner.messages.filter((m) => m.error !== undefined && m.error !== "Unknown stream type")).toEqual([]);
    const outsider = await openSocket({ stream: "list", list: daveList, access_token: dave.token });
    // Someone else's list, by message or by URL, over WebSocket or SSE: Mastodon's one answer.
    const intruder = await openSocket({ access_token: dave.token });
    intruder.send({ type: "subscribe", stream: "list", list: bobList });
    await intruder.barrier();
    expect(intruder.messages.filter((m) => m.status === 401)).toEqual([{ error: "Not authorized to stream this list", status: 401 }]);
    await expect(openSocket({ stream: "list", list: bobList, access_token: dave.token })).rejects.toMatchObject({ status: 401 });
    expect((await dave.api.get("/api/v1/streaming/list", { list: bobList })).status).toBe(401);
    expect((await bob.api.get("/api/v1/streaming/list", { list: "x" })).status).toBe(400);

    const { db, config } = instance.running.deps;
    const secret = await createLocalPost(db, config.origin, alice.actor, {
      contentHtml: "<p>list agenda</p>", contentSource: "list agenda", visibility: "public", groupId: group.actor.id,
    });
    const open = await post(alice, { status: "on the list", visibility: "public" });
    const got = await owner.next((m) => m.event === "update" && JSON.parse(m.payload!).id === open.id, "owner's list update");
    expect(got.stream).toEqual(["list", bobList]);
    expect(about(owner, secret.id).map((m) => m.stream)).toEqual([["list", bobList]]);
    await outsider.next((m) => m.event === "update" && JSON.parse(m.payload!).id === open.id, "outsider's list update");
    expect(about(outsider, secret.id), "closed post leaked to a list").toEqual([]);
    expect(about(intruder, open.id)).toEqual([]);

    // Exclusive: alice's posts reach bob's list stream, no longer his user stream.
    expect((await bob.api.put(`/api/v1/lists/${bobList}`, { exclusive: true })).status).toBe(200);
    const home = await openSocket({ stream: "user", access_token: bob.token });
    const excluded = await post(alice, { status: "for the list only", visibility: "public" });
    await owner.next((m) => m.event === "update" && JSON.parse(m.payload!).id === excluded.id, "exclusive list update");
    const own = await post(bob, { status: "bob's own", visibility: "public" });
    await home.next((m) => m.event === "update" && JSON.parse(m.payload!).id === own.id, "home barrier");
    expect(about(home, excluded.id), "an exclusive list's member reached home").toEqual([]);
    expect((await bob.api.delete(`/api/v1/lists/${bobList}`)).status).toBe(200);
  });

  it("keeps a followee's boosts out of the user stream when the follow hides them", async () => {
    expect((await dave.api.post(`/api/v1/accounts/${alice.actor.id}/follow`, { reblogs: false })).status).toBe(200);
    try {
      const s = await openSocket({ stream: "user", access_token: dave.token });
      const original = await post(bob, { status: "boost me", visibility: "public" });
      const boost = await alice.api.post<MastodonStatus>(`/api/v1/statuses/${original.id}/reblog`);
      expect(boost.status, boost.text).toBe(200);
      const own = await post(dave, { status: "dave's own", visibility: "public" });
      await s.next((m) => m.event === "update" && JSON.parse(m.payload!).id === own.id, "barrier");
      expect(about(s, boost.body.id)).toEqual([]);
    } finally {
      await dave.api.post(`/api/v1/accounts/${alice.actor.id}/follow`, { reblogs: true });
    }
  });

  it("leaves out what the viewer's hide filters match and marks what warn filters match", async () => {
    const hide = await bob.api.post<{ id: string }>("/api/v2/filters", { title: "h", context: ["home"], filter_action: "hide", keywords_attributes: [{ keyword: "geheim" }] });
    const warn = await bob.api.post<{ id: string }>("/api/v2/filters", { title: "w", context: ["home"], keywords_attributes: [{ keyword: "begroting" }] });
    const s = await openSocket({ stream: "user", access_token: bob.token });
    const other = await openSocket({ stream: "user", access_token: dave.token });
    const hidden = await post(alice, { status: "iets geheim", visibility: "public" });
    const warned = await post(alice, { status: "de begroting", visibility: "public" });
    const marked = await s.next((m) => m.event === "update" && JSON.parse(m.payload!).id === warned.id, "warned update");
    expect((JSON.parse(marked.payload!) as MastodonStatus).filtered![0]).toMatchObject({ keyword_matches: ["begroting"], filter: { id: warn.body.id } });
    expect(about(s, hidden.id)).toEqual([]);
    await other.next((m) => m.event === "update" && JSON.parse(m.payload!).id === warned.id, "dave's update");
    expect(about(other, hidden.id)).toHaveLength(1);
    expect((JSON.parse(about(other, warned.id)[0]!.payload!) as MastodonStatus).filtered).toBeUndefined();
    await bob.api.delete(`/api/v2/filters/${hide.body.id}`);
    await bob.api.delete(`/api/v2/filters/${warn.body.id}`);
  });
});

describe("across processes", () => {
  it.skipIf(!testDatabaseUrl)("an event published through one database pool reaches a stream hub listening on another connection", async () => {
    // A second web process, as far as the database can tell: its own pool and its own LISTEN connection.
    const other = await instance.database.openAnother!();
    const deps = { ...instance.running.deps, db: other.db };
    const streaming = await startStreaming(other, testDatabaseUrl, deps);
    const received: Array<{ stream: string[]; event: string; payload: string }> = [];
    const client: StreamClient = {
      viewer: { kind: "local", actorId: bob.actor.id },
      scopes: ["read"],
      subscriptions: new Map([["user", { name: "user" }]]),
      send: (stream, event, payload) => void received.push({ stream, event, payload }),
      close: () => {},
    };
    streamHub(deps).add(client);
    try {
      const posted = await post(alice, { status: "seen elsewhere", visibility: "private" });
      const got = await waitFor(() => received.find((r) => r.event === "update" && JSON.parse(r.payload).id === posted.id), { message: "other process" });
      expect(got.stream).toEqual(["user"]);
    } finally {
      streamHub(deps).remove(client);
      await streaming.stop();
      await other.close();
    }
  });
});
