import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { upsertRemoteActor, type RemoteActorInput } from "../../src/domain/remote-actors.ts";
import { upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { type Api, ORIGIN, startApi, type User } from "./support.ts";

let api: Api;
let reader: User;
let writer: User;
let other: User;
/** writer's posts, oldest first */
const posts: MastodonStatus[] = [];
let remotePostId: string;

beforeAll(async () => {
  api = await startApi();
  [reader, writer, other] = await Promise.all([api.user("reader"), api.user("writer"), api.user("other")]);
  expect((await api.request("POST", `/api/v1/accounts/${writer.id}/follow`, { token: reader.token })).status).toBe(200);
  for (let i = 1; i <= 5; i++) posts.push(await api.post(writer, { status: `post ${i}` }));
  // Not followed: never in reader's home.
  await api.post(other, { status: "unrelated" });
  const input: RemoteActorInput = {
    iri: "https://remote.example/users/rita", type: "Person", username: "rita", displayName: "", summaryHtml: "",
    url: null, avatarUrl: null, headerUrl: null, inbox: null, sharedInbox: null, outbox: null, followers: null,
    following: null, featured: null, manuallyApprovesFollowers: false, bot: false, fields: [],
    followersCount: null, followingCount: null, postsCount: null,
  };
  const rita = await upsertRemoteActor(api.running.deps.db, "plein.test", input);
  const remote = await upsertRemotePost(api.running.deps.db, rita, {
    iri: "https://remote.example/notes/1", url: "https://remote.example/@rita/1", type: "Note", visibility: "public",
    inReplyToIri: null, name: null, summary: null, sensitive: false, contentHtml: "<p>from afar</p>", language: null,
    publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [], attachments: [], extra: {},
  }, "create");
  remotePostId = remote.id;
});

afterAll(async () => {
  await api?.close();
});

const ids = (list: MastodonStatus[]) => list.map((s) => s.id);
const home = (query = "") => api.request<MastodonStatus[]>("GET", `/api/v1/timelines/home${query}`, { token: reader.token });

function links(res: { headers: Headers }): { next?: string; prev?: string } {
  const header = res.headers.get("link") ?? "";
  const pick = (rel: string) => new RegExp(`<([^>]+)>; rel="${rel}"`).exec(header)?.[1];
  return { next: pick("next"), prev: pick("prev") };
}

describe("home timeline", () => {
  it("shows own and followed posts, newest first", async () => {
    const res = await home();
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(ids(posts).reverse());
  });

  it("pages with max_id and Link headers like Mastodon", async () => {
    const first = await home("?limit=2");
    expect(ids(first.body)).toEqual([posts[4]!.id, posts[3]!.id]);
    const { next, prev } = links(first);
    expect(next).toBe(`${ORIGIN}/api/v1/timelines/home?limit=2&max_id=${posts[3]!.id}`);
    expect(prev).toBe(`${ORIGIN}/api/v1/timelines/home?limit=2&min_id=${posts[4]!.id}`);
    const second = await home(new URL(next!).search);
    expect(ids(second.body)).toEqual([posts[2]!.id, posts[1]!.id]);
    const third = await home(new URL(links(second).next!).search);
    expect(ids(third.body)).toEqual([posts[0]!.id]);
    const last = await home(new URL(links(third).next!).search);
    expect(last.body).toEqual([]);
    expect(last.headers.get("link")).toBeNull();
  });

  it("min_id gives the posts just above it, since_id the newest above it", async () => {
    const min = await home(`?min_id=${posts[0]!.id}&limit=2`);
    expect(ids(min.body)).toEqual([posts[2]!.id, posts[1]!.id]);
    const since = await home(`?since_id=${posts[0]!.id}&limit=2`);
    expect(ids(since.body)).toEqual([posts[4]!.id, posts[3]!.id]);
    const between = await home(`?since_id=${posts[1]!.id}&max_id=${posts[4]!.id}`);
    expect(ids(between.body)).toEqual([posts[3]!.id, posts[2]!.id]);
    const prev = links(min).prev!;
    const newer = await home(new URL(prev).search);
    expect(ids(newer.body)).toEqual([posts[4]!.id, posts[3]!.id]);
  });

  it("limit clamps to 1..40", async () => {
    expect((await home("?limit=0")).body).toHaveLength(1);
    expect((await home("?limit=-5")).body).toHaveLength(1);
    expect((await home("?limit=1000")).body).toHaveLength(5);
    expect((await home("?limit=99999999999999999999")).body).toHaveLength(5);
  });

  it("shows boosts of followed accounts as reblogs", async () => {
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${remotePostId}/reblog`, { token: writer.token });
    expect(boost.status).toBe(200);
    const res = await home("?limit=1");
    expect(res.body[0]!.id).toBe(boost.body.id);
    expect(res.body[0]!.reblog).toMatchObject({ id: remotePostId, content: "<p>from afar</p>", url: "https://remote.example/@rita/1" });
    expect(res.body[0]!.reblog!.account.acct).toBe("rita@remote.example");
    await api.request("POST", `/api/v1/statuses/${remotePostId}/unreblog`, { token: writer.token });
  });
});

describe("public timeline", () => {
  it("shows public posts to anyone, local=true only local ones, remote=true only remote ones", async () => {
    const all = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/public?limit=40");
    expect(all.status).toBe(200);
    expect(ids(all.body)).toContain(remotePostId);
    expect(ids(all.body)).toEqual(expect.arrayContaining(ids(posts)));
    const local = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/public?local=true&limit=40");
    expect(ids(local.body)).not.toContain(remotePostId);
    expect(ids(local.body)).toEqual(expect.arrayContaining(ids(posts)));
    const paged = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/public?local=true&limit=1");
    expect(links(paged).next).toMatch(/[?&]local=true/);
    const remote = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/public?remote=true&limit=40");
    expect(ids(remote.body)).toEqual([remotePostId]);
    expect((await api.request("GET", "/api/v1/timelines/public?remote=perhaps")).status).toBe(422);
  });

  it("leaves out unlisted posts", async () => {
    const s = await api.post(writer, { status: "quiet", visibility: "unlisted" });
    const all = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/public?limit=40");
    expect(ids(all.body)).not.toContain(s.id);
  });
});
