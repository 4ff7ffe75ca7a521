/**
 * Files across four real instances over HTTPS: A hosts a closed group, bram
 * (B) and cato (C) are members, dirk (D) follows bram and anna but is no
 * member. A file bram shares on B reaches A and C through the group with its
 * fields; members there download its bytes through their own server, which
 * fetches them from B signed as itself (B asks A whether that server hosts a
 * member). D receives nothing and can fetch neither the Document nor the file.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileFields } from "../../src/modules/file/index.ts";
import { closeInstances, settle, type TestInstance, type TestUser } from "../support/instances.ts";
import { closedGroupOfFour, startFourServers } from "../support/four-servers.ts";
import { signedFetchObject } from "../support/mastodon.ts";
import {
  comment,
  type PleinContent,
  type PleinGroup,
  waitForGroupPost,
} from "../support/plein.ts";

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let C: TestInstance;
let D: TestInstance;
let anna: TestUser;
let bram: TestUser;
let cato: TestUser;
let dirk: TestUser;
let group: PleinGroup;
let onB: PleinGroup;
let onC: PleinGroup;

const V1 = "/api/plein/v1";
type FileContent = PleinContent & { fields: { file: FileFields | null } };

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A multipart upload, as a client sends it, to the user's own instance. */
async function shareFile(user: TestUser, groupId: string, file: { bytes: Uint8Array<ArrayBuffer>; name: string; type: string }, fields: Record<string, string>): Promise<FileContent> {
  const body = new FormData();
  body.append("file", new File([file.bytes], file.name, { type: file.type }));
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  const res = await fetch(new URL(`${V1}/groups/${groupId}/files`, user.api.origin), {
    method: "POST", body, headers: { authorization: `Bearer ${user.token}`, accept: "application/json" },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${user.handle} shares ${file.name}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as FileContent;
}

/** Downloads through the user's own instance. */
async function download(user: TestUser | TestInstance, postId: string): Promise<Response> {
  const origin = "api" in user && typeof user.api === "object" ? user.api.origin : (user as TestInstance).origin;
  const token = "token" in user ? user.token : undefined;
  return fetch(new URL(`${V1}/posts/${postId}/file`, origin), { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function storedPost(instance: TestInstance, iri: string) {
  return instance.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
}

function expectSafeHeaders(res: Response, type: string, name: string): void {
  expect(res.headers.get("content-type")).toBe(type);
  expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(name)}`);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("content-security-policy")).toContain("sandbox");
  expect(res.headers.get("cache-control")).toBe("private, no-store");
}

beforeAll(async () => {
  const servers = await startFourServers();
  ({ instances, A, B, C, D, anna, bram, cato, dirk } = servers);
  // dirk follows the author and the group's owner, but is no member.
  ({ group, onB, onC } = await closedGroupOfFour(servers, { name: "stukken", display_name: "Vergaderstukken" }, { dirkFollowsAnna: true }));
});

afterAll(async () => {
  await closeInstances(instances);
});

describe("a file shared in a closed group", () => {
  const bytes = new Uint8Array(300_000).map((_, i) => (i * 7 + 3) % 251);
  let shared: FileContent;
  let onA: FileContent;
  let onCPost: FileContent;

  beforeAll(async () => {
    shared = await shareFile(bram, onB.id, { bytes, name: "begroting 2027.pdf", type: "application/pdf" },
      { title: "Begroting 2027", description: "Het concept, graag commentaar voor vrijdag" });
  });

  it("is made on B in the group's scope", () => {
    expect(shared).toMatchObject({ module: "file", type: "Document", visibility: "group", title: "Begroting 2027" });
    expect(shared.fields.file).toMatchObject({ name: "begroting 2027.pdf", media_type: "application/pdf", size: bytes.length, sha256: sha256(bytes) });
    expect(shared.fields.file?.url).toBe(`${B.origin}${V1}/posts/${shared.id}/file`);
  });

  it("reaches A and C with its title, description and file", async () => {
    onA = await waitForGroupPost(anna, group.id, shared.uri) as FileContent;
    onCPost = await waitForGroupPost(cato, onC.id, shared.uri) as FileContent;
    for (const [copy, instance] of [[onA, A], [onCPost, C]] as const) {
      expect(copy).toMatchObject({ module: "file", type: "Document", visibility: "group", title: "Begroting 2027" });
      expect(copy.content).toContain("graag commentaar voor vrijdag");
      expect(copy.fields.file).toEqual({
        name: "begroting 2027.pdf",
        media_type: "application/pdf",
        size: null,
        sha256: null,
        url: shared.fields.file!.url,
        download_url: `${instance.origin}${V1}/posts/${copy.id}/file`,
      });
    }
  });

  it("its bytes are downloadable by members on A and C, through their own servers", async () => {
    for (const [member, copy] of [[anna, onA], [cato, onCPost]] as const) {
      const res = await download(member, copy.id);
      expect(res.status, member.handle).toBe(200);
      expectSafeHeaders(res, "application/pdf", "begroting 2027.pdf");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    }
    // And by bram on B, from its own storage.
    const own = await download(bram, shared.id);
    expect(new Uint8Array(await own.arrayBuffer())).toEqual(bytes);
  });

  it("members' servers may fetch the file from B, signed; nobody else may, and the answer is the one for a missing file", async () => {
    const url = shared.fields.file!.url!;
    const missing = `${B.origin}${V1}/posts/999999999/file`;
    expect((await signedFetchObject(C, C.host, url)).status).toBe(200);
    expect((await signedFetchObject(A, A.host, url)).status).toBe(200);
    for (const signer of [D.host, "dirk"]) {
      const res = await signedFetchObject(D, signer, url);
      const absent = await signedFetchObject(D, signer, missing);
      expect(res.status, signer).toBe(404);
      expect(res.text).toBe(absent.text);
    }
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(404);
    expect(await anonymous.text()).toBe((await signedFetchObject(D, D.host, missing)).text);
    // A member's token on another server means nothing on B.
    const foreignToken = await fetch(url, { headers: { authorization: `Bearer ${cato.token}` } });
    expect(foreignToken.status).toBe(401);
  });

  it("nothing of it reaches D, which can fetch neither the Document nor the file", async () => {
    await settle(instances);
    expect(await storedPost(D, shared.uri)).toBeUndefined();
    expect((await signedFetchObject(D, D.host, shared.uri)).status).toBe(404);
    expect((await signedFetchObject(D, "dirk", shared.uri)).status).toBe(404);
    // dirk cannot reach it through his own server either: D knows no such post.
    const search = await dirk.api.get<{ statuses: unknown[] }>("/api/v2/search", { q: shared.uri, resolve: true, type: "statuses" });
    expect(search.body.statuses).toEqual([]);
  });

  it("a comment from C reaches B through the group", async () => {
    const reply = await comment(cato, onCPost.id, "Ik heb twee vragen over hoofdstuk 3");
    expect(reply.visibility).toBe("group");
    const onBReply = await waitForGroupPost(bram, onB.id, reply.uri);
    expect(onBReply.in_reply_to_id).toBe(shared.id);
    await waitForGroupPost(anna, group.id, reply.uri);
  });
});

describe("a file shared on the group's own server", () => {
  it("reaches B and C, whose members download it through their own servers", async () => {
    const bytes = new TextEncoder().encode("Agenda\n1. Opening\n2. Begroting\n");
    const shared = await shareFile(anna, group.id, { bytes, name: "agenda.txt", type: "text/plain" }, { description: "De agenda" });
    for (const [member, groupId] of [[bram, onB.id], [cato, onC.id]] as const) {
      const copy = await waitForGroupPost(member, groupId, shared.uri) as FileContent;
      expect(copy.title).toBe("agenda.txt");
      expect(copy.fields.file?.media_type).toBe("text/plain");
      const res = await download(member, copy.id);
      expect(res.status, member.handle).toBe(200);
      expect(await res.text()).toBe("Agenda\n1. Opening\n2. Begroting\n");
    }
    await settle(instances);
    expect(await storedPost(D, shared.uri)).toBeUndefined();
    expect((await signedFetchObject(D, D.host, shared.fields.file!.url!)).status).toBe(404);
  });
});
