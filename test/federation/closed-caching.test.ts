/**
 * Caching of closed content, and the one 404, between real instances: A hosts
 * a closed group with bram (B) as a member; cato (C) is no member. What only
 * some may read carries `Cache-Control: private` (never kept by a shared
 * cache, whoever asks); what anyone may read keeps its public caching; and a
 * forbidden object or collection answers exactly as an absent one (status,
 * body, headers).
 */
import { signRequest } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";
import { ACTIVITY_JSON, postStatus } from "../support/mastodon.ts";
import { comment, createGroup, groupOn, joinGroup, type PleinContent, type PleinGroup, postInGroup, waitForMembership } from "../support/plein.ts";

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let C: TestInstance;
let anna: TestUser;
let bram: TestUser;
let closed: PleinGroup;
let open: PleinGroup;
let closedPost: PleinContent;
let openPost: PleinContent;
let followersOnly: string;
let publicStatus: string;
let closedFileUrl: string;

/** Shares a file in a group through the Plein API (multipart, as a client does); returns its download URL. */
async function shareFile(user: TestUser, groupId: string, text: string): Promise<string> {
  const body = new FormData();
  body.append("file", new File([text], "notulen.txt", { type: "text/plain" }));
  const res = await fetch(new URL(`/api/plein/v1/groups/${groupId}/files`, user.api.origin), {
    method: "POST", body, headers: { authorization: `Bearer ${user.token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { fields: { file: { url: string } } }).fields.file.url;
}

/** GET as `identifier` of `instance` (signed with its RSA key), or unsigned. */
async function get(url: string, signer?: { instance: TestInstance; identifier: string }): Promise<Response> {
  let request = new Request(url, { headers: { accept: ACTIVITY_JSON } });
  if (signer) {
    const ctx = signer.instance.running.federation.federation.createContext(new URL(signer.instance.origin), signer.instance.running.deps);
    const rsa = (await ctx.getActorKeyPairs(signer.identifier)).find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
    if (!rsa) throw new Error(`${signer.identifier} has no RSA key`);
    request = await signRequest(request, rsa.privateKey, rsa.keyId);
  }
  return fetch(request);
}

/** Status, body and every header but the date. */
async function answer(res: Response): Promise<{ status: number; body: string; headers: Record<string, string> }> {
  const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== "date"));
  return { status: res.status, body: await res.text(), headers };
}

/** The same path with an id that exists nowhere. */
function absentTwin(url: string): string {
  return url.replace(/\/(notes|pages|articles|documents|events|questions)\/[^/]+/, "/$1/999999999").replace(/\/users\/[^/]+/, "/users/nobody-here");
}

beforeAll(async () => {
  instances = await startInstances(3);
  [A, B, C] = instances as [TestInstance, TestInstance, TestInstance];
  anna = await A.createUser("anna");
  bram = await B.createUser("bram");
  await C.createUser("cato");
  await A.createUser("anke", { locked: true });
  closed = await createGroup(anna, { name: "raad", visibility: "closed", join_mode: "open" });
  open = await createGroup(anna, { name: "plein", visibility: "public", join_mode: "open" });
  const onB = await groupOn(bram, `${closed.account.username}@${A.host}`);
  await joinGroup(bram, onB);
  await waitForMembership(bram, onB.id, "member");
  closedPost = await postInGroup(anna, closed.id, { text: "Alleen voor de raad" });
  await comment(anna, closedPost.id, "Een reactie binnen de raad");
  openPost = await postInGroup(anna, open.id, { text: "Voor iedereen" });
  followersOnly = (await postStatus(anna, { status: "Alleen volgers", visibility: "private" })).uri;
  publicStatus = (await postStatus(anna, { status: "Openbaar", visibility: "public" })).uri;
  closedFileUrl = await shareFile(anna, closed.id, "Notulen van de raad");
  await settle(instances);
});

afterAll(async () => {
  await closeInstances(instances);
});

const groupCollection = (group: PleinGroup, name: string) => `${A.origin}/users/${group.account.username}/${name}`;

describe("closed content carries Cache-Control: private", () => {
  it("objects and replies of closed content, fetched by a member's server", async () => {
    for (const url of [closedPost.uri, `${closedPost.uri}/replies`]) {
      const res = await get(url, { instance: B, identifier: B.host });
      expect(res.status, url).toBe(200);
      expect(res.headers.get("cache-control"), url).toMatch(/^private/);
      await res.body?.cancel();
    }
  });

  it("a closed group's members (followers), following and outbox collections, whoever asks", async () => {
    for (const name of ["followers", "following", "outbox", "featured"]) {
      const url = groupCollection(closed, name);
      for (const signer of [undefined, { instance: B, identifier: B.host }, { instance: C, identifier: C.host }]) {
        const res = await get(url, signer);
        expect(res.status, `${name} ${signer?.instance.host ?? "unsigned"}`).toBe(200);
        expect(res.headers.get("cache-control"), `${name} ${signer?.instance.host ?? "unsigned"}`).toMatch(/^private/);
        await res.body?.cancel();
      }
    }
  });

  it("the followers and following of an account that hides its network, whoever asks", async () => {
    for (const name of ["followers", "following"]) {
      const url = `${A.origin}/users/anke/${name}`;
      for (const signer of [undefined, { instance: C, identifier: C.host }]) {
        const res = await get(url, signer);
        expect(res.status, url).toBe(200);
        expect(res.headers.get("cache-control"), `${url} ${signer ? "signed" : "unsigned"}`).toMatch(/^private/);
        await res.body?.cancel();
      }
    }
  });

  it("public objects and collections keep their public caching when fetched unsigned", async () => {
    const urls = [
      openPost.uri, `${openPost.uri}/replies`, publicStatus, groupCollection(open, "followers"), groupCollection(open, "outbox"),
      `${A.origin}/users/anna/followers`, `${A.origin}/users/anna/outbox`,
    ];
    for (const url of urls) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get("cache-control"), url).toBe("public, max-age=60");
      await res.body?.cancel();
    }
  });
});

describe("forbidden and absent answer the same 404", () => {
  it("objects and replies of closed and followers-only content: unsigned, and signed by a non-member's server or actor", async () => {
    const urls = [closedPost.uri, `${closedPost.uri}/replies`, followersOnly, `${followersOnly}/replies`];
    const askers = [undefined, { instance: C, identifier: C.host }, { instance: C, identifier: "cato" }];
    for (const url of urls) {
      for (const asker of askers) {
        const label = `${url} ${asker ? asker.identifier : "unsigned"}`;
        const forbidden = await answer(await get(url, asker));
        const absent = await answer(await get(absentTwin(url), asker));
        expect(forbidden.status, label).toBe(404);
        expect(forbidden, label).toEqual(absent);
      }
    }
  });

  it("a closed group's file: a member's server gets it, privately; anyone else the 404 of a missing file", async () => {
    const member = await get(closedFileUrl, { instance: B, identifier: B.host });
    expect(member.status).toBe(200);
    expect(member.headers.get("cache-control")).toMatch(/^private/);
    expect(await member.text()).toBe("Notulen van de raad");
    const missing = closedFileUrl.replace(/\/posts\/\d+\//, "/posts/999999999/");
    for (const asker of [undefined, { instance: C, identifier: C.host }, { instance: C, identifier: "cato" }]) {
      const label = asker ? asker.identifier : "unsigned";
      const forbidden = await answer(await get(closedFileUrl, asker));
      expect(forbidden.status, label).toBe(404);
      expect(forbidden, label).toEqual(await answer(await get(missing, asker)));
    }
  });
});
