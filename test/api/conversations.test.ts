/**
 * Mastodon's conversations (src/domain/conversations.ts): the threads of
 * direct posts an account takes part in, read and hidden per account.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RemotePostInput, upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import { closeInstances, settle, startInstances, type TestInstance, waitFor } from "../support/instances.ts";
import { type Api, startApi, type User } from "./support.ts";

interface Conversation {
  id: string;
  unread: boolean;
  accounts: Array<{ id: string; acct: string }>;
  last_status: { id: string; content: string; visibility: string } | null;
}

let api: Api;
let alice: User, bob: User, carol: User;

beforeAll(async () => {
  api = await startApi();
  alice = await api.user("alice");
  bob = await api.user("bob");
  carol = await api.user("carol");
});

afterAll(async () => {
  await api?.close();
});

const list = async (user: User, query = "") => {
  const res = await api.request<Conversation[]>("GET", `/api/v1/conversations${query}`, { token: user.token });
  expect(res.status, res.text).toBe(200);
  return res;
};

describe("a direct thread between two accounts", () => {
  let first: string, reply: string, conversationId: string;

  beforeAll(async () => {
    first = (await api.post(alice, { status: "@bob only for you", visibility: "direct" })).id;
    reply = (await api.post(bob, { status: "@alice thanks", visibility: "direct", in_reply_to_id: first })).id;
  });

  it("is one conversation for each, with the other as account and the newest post as last status", async () => {
    const [ofAlice] = (await list(alice)).body;
    const [ofBob] = (await list(bob)).body;
    expect((await list(alice)).body).toHaveLength(1);
    expect((await list(bob)).body).toHaveLength(1);
    expect(ofAlice!.accounts.map((a) => a.id)).toEqual([bob.id]);
    expect(ofBob!.accounts.map((a) => a.id)).toEqual([alice.id]);
    expect(ofAlice!.last_status?.id).toBe(reply);
    expect(ofBob!.last_status?.id).toBe(reply);
    expect(ofAlice!.id).toBe(ofBob!.id);
    conversationId = ofAlice!.id;
    // The newest post is bob's: unread for alice, not for bob.
    expect(ofAlice!.unread).toBe(true);
    expect(ofBob!.unread).toBe(false);
  });

  it("is read once marked read, until someone else posts in it", async () => {
    const read = await api.request<Conversation>("POST", `/api/v1/conversations/${conversationId}/read`, { token: alice.token });
    expect(read.status, read.text).toBe(200);
    expect(read.body.unread).toBe(false);
    expect(read.body.id).toBe(conversationId);
    expect(read.body.last_status?.id).toBe(reply);
    expect((await list(alice)).body[0]!.unread).toBe(false);
    const more = await api.post(bob, { status: "@alice one more thing", visibility: "direct", in_reply_to_id: reply });
    const [again] = (await list(alice)).body;
    expect([again!.id, again!.last_status?.id, again!.unread]).toEqual([conversationId, more.id, true]);
  });

  it("is hidden by DELETE until a newer post arrives, for the caller only", async () => {
    const hidden = await api.request("DELETE", `/api/v1/conversations/${conversationId}`, { token: alice.token });
    expect([hidden.status, hidden.body]).toEqual([200, {}]);
    expect((await list(alice)).body).toEqual([]);
    expect((await list(bob)).body.map((c) => c.id)).toEqual([conversationId]);
    // Hidden: reading or deleting it again is a 404.
    expect((await api.request("POST", `/api/v1/conversations/${conversationId}/read`, { token: alice.token })).status).toBe(404);
    const [ofBob] = (await list(bob)).body;
    const newer = await api.post(bob, { status: "@alice are you there?", visibility: "direct", in_reply_to_id: ofBob!.last_status!.id });
    const [back] = (await list(alice)).body;
    expect([back!.id, back!.last_status?.id, back!.unread]).toEqual([conversationId, newer.id, true]);
  });

  it("is nothing to a third account, which cannot read, hide or find it", async () => {
    expect((await list(carol)).body).toEqual([]);
    expect((await api.request("POST", `/api/v1/conversations/${conversationId}/read`, { token: carol.token })).status).toBe(404);
    expect((await api.request("DELETE", `/api/v1/conversations/${conversationId}`, { token: carol.token })).status).toBe(404);
    expect((await list(bob)).body.map((c) => c.id)).toEqual([conversationId]);
  });
});

describe("what is not a conversation", () => {
  it("a followers-only, a public post and a closed group's post, even mentioning someone", async () => {
    const dave = await api.user("dave");
    const erin = await api.user("erin");
    await api.post(dave, { status: "@erin for my followers", visibility: "private" });
    await api.post(dave, { status: "@erin for everyone", visibility: "public" });
    const group = await api.request<{ id: string }>("POST", "/api/plein/v1/groups", { token: dave.token, json: { name: "raad", visibility: "closed" } });
    expect(group.status, group.text).toBe(200);
    const groupPost = await api.request("POST", `/api/plein/v1/groups/${group.body.id}/posts`, {
      token: dave.token, json: { module: "discussion", title: "agenda", text: "@erin what do we discuss?" },
    });
    expect(groupPost.status, groupPost.text).toBe(200);
    expect((await list(dave)).body).toEqual([]);
    expect((await list(erin)).body).toEqual([]);
    // A direct post is one (the check above is not empty for want of a working list).
    await api.post(dave, { status: "@erin just us", visibility: "direct" });
    expect((await list(erin)).body).toHaveLength(1);
  });
});

describe("paging", () => {
  it("pages newest conversation first, on the last status id, with Link headers", async () => {
    const frank = await api.user("frank");
    const others = [await api.user("gina"), await api.user("hugo"), await api.user("ida")];
    const posts = [];
    for (const other of others) posts.push(await api.post(frank, { status: `@${other.actor.username} hi`, visibility: "direct" }));
    const firstPage = await list(frank, "?limit=2");
    expect(firstPage.body.map((c) => c.last_status?.id)).toEqual([posts[2]!.id, posts[1]!.id]);
    expect(firstPage.body.map((c) => c.accounts.map((a) => a.id))).toEqual([[others[2]!.id], [others[1]!.id]]);
    const link = firstPage.headers.get("link") ?? "";
    expect(link).toContain(`max_id=${posts[1]!.id}`);
    expect(link).toContain(`min_id=${posts[2]!.id}`);
    expect((await list(frank, `?max_id=${posts[1]!.id}`)).body.map((c) => c.last_status?.id)).toEqual([posts[0]!.id]);
    expect((await list(frank, `?min_id=${posts[0]!.id}&limit=1`)).body.map((c) => c.last_status?.id)).toEqual([posts[1]!.id]);
    expect((await list(frank, `?since_id=${posts[1]!.id}`)).body.map((c) => c.last_status?.id)).toEqual([posts[2]!.id]);
  });
});

describe("refusals", () => {
  it("401 without a token, 403 without the scope, 404 for an unknown id, 422 for a malformed limit", async () => {
    const push = await api.token(alice, ["push"]);
    for (const [method, path] of [["GET", "/api/v1/conversations"], ["DELETE", "/api/v1/conversations/1"], ["POST", "/api/v1/conversations/1/read"]] as const) {
      expect((await api.request(method, path)).status, `${method} ${path}`).toBe(401);
      expect((await api.request(method, path, { token: push })).status, `${method} ${path}`).toBe(403);
    }
    const reader = await api.token(alice, ["read:statuses"]);
    expect((await api.request("GET", "/api/v1/conversations", { token: reader })).status).toBe(200);
    expect((await api.request("POST", "/api/v1/conversations/1/read", { token: reader })).status).toBe(403);
    const writer = await api.token(alice, ["write:conversations"]);
    for (const id of ["99999999999", "abc"]) {
      expect((await api.request("DELETE", `/api/v1/conversations/${id}`, { token: writer })).status).toBe(404);
      expect((await api.request("POST", `/api/v1/conversations/${id}/read`, { token: writer })).status).toBe(404);
    }
    expect((await api.request("GET", "/api/v1/conversations?limit=abc", { token: alice.token })).status).toBe(422);
  });
});

describe("a reply that arrives before its parent", () => {
  it("joins the parent's conversation once the parent is stored", async () => {
    const db = api.running.deps.db;
    const julia = await api.user("julia");
    const rita = await upsertRemoteActor(db, "plein.test", {
      iri: "https://remote.example/users/rita", type: "Person", username: "rita", displayName: "rita", summaryHtml: "",
      url: null, avatarUrl: null, headerUrl: null, inbox: "https://remote.example/users/rita/inbox", sharedInbox: null,
      outbox: null, followers: null, following: null, featured: null, manuallyApprovesFollowers: false, bot: false,
      fields: [], followersCount: null, followingCount: null, postsCount: null,
    });
    const direct = (iri: string, inReplyToIri: string | null): RemotePostInput => ({
      iri, url: null, type: "Note", visibility: "direct", inReplyToIri, name: null, summary: null, sensitive: false,
      contentHtml: "<p>psst</p>", language: null, publishedAt: new Date(), editedAt: null, mentionIds: [julia.id], tags: [],
      attachments: [], extra: {},
    });
    const reply = await upsertRemotePost(db, rita, direct("https://remote.example/notes/2", "https://remote.example/notes/1"), "create");
    const replyToReply = await upsertRemotePost(db, rita, direct("https://remote.example/notes/3", reply.iri), "create");
    expect((await list(julia)).body.map((c) => [c.id, c.last_status?.id])).toEqual([[reply.id, replyToReply.id]]);
    const parent = await upsertRemotePost(db, rita, direct("https://remote.example/notes/1", null), "create");
    // One thread, keyed by the parent; the parent, stored last, is its newest post. Hiding it hides all three.
    expect((await list(julia)).body.map((c) => [c.id, c.last_status?.id])).toEqual([[parent.id, parent.id]]);
    expect((await api.request("DELETE", `/api/v1/conversations/${parent.id}`, { token: julia.token })).status).toBe(200);
    expect((await list(julia)).body).toEqual([]);
  });
});

describe("across instances", () => {
  let instances: TestInstance[] = [];

  afterAll(async () => {
    await closeInstances(instances);
  });

  it("a direct post from another instance is a conversation", { timeout: 60_000 }, async () => {
    instances = await startInstances(2);
    const [A, B] = instances as [TestInstance, TestInstance];
    const anna = await A.createUser("anna");
    const bram = await B.createUser("bram");
    const posted = await anna.api.post<{ id: string }>("/api/v1/statuses", { status: `@${bram.handle} a direct word`, visibility: "direct" });
    expect(posted.status, posted.text).toBe(200);
    const conversations = await waitFor(async () => {
      const res = await bram.api.get<Conversation[]>("/api/v1/conversations");
      return res.body.length > 0 ? res.body : undefined;
    }, { message: "the conversation on B" });
    await settle(instances);
    expect(conversations).toHaveLength(1);
    expect(conversations[0]!.unread).toBe(true);
    expect(conversations[0]!.last_status?.content).toContain("a direct word");
    expect(conversations[0]!.accounts.map((a) => a.acct)).toEqual([anna.handle]);
  });
});
