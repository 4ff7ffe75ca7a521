/**
 * The file module in one instance, through Plein's API: sharing a file in a
 * group (multipart upload, size limits, hostile names and types), reading it
 * back, and downloading it only as the visibility rule allows, with headers
 * that never let a browser or a server take someone's upload for anything
 * but a download.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join as joinPath } from "node:path";
import { Create, Document } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { PleinContent, PleinGroup } from "../../src/api/plein/entities.ts";
import { upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import { fileModule, type FileFields } from "../../src/modules/file/index.ts";
import { readFile } from "../../src/modules/file/activitypub.ts";
import type { FileData } from "../../src/modules/file/files.ts";
import { type Api, type ApiError, ORIGIN, startApi, type User } from "../api/support.ts";

const V1 = "/api/plein/v1";
const KIB = 1024;
const MIB = 1024 * 1024;

let api: Api;
let alice: User;
let bob: User;
let carol: User;
let open: PleinGroup;
let closed: PleinGroup;

type FileContent = PleinContent & { fields: { file: FileFields | null } };

async function createGroup(owner: User, fields: Record<string, unknown>): Promise<PleinGroup> {
  const res = await api.request<PleinGroup>("POST", `${V1}/groups`, { token: owner.token, json: fields });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function join(user: User, group: PleinGroup): Promise<void> {
  const res = await api.request<PleinGroup>("POST", `${V1}/groups/${group.id}/join`, { token: user.token });
  expect(res.status, res.text).toBe(200);
  expect(res.body.membership?.state).toBe("member");
}

interface UploadFields {
  bytes?: string | Uint8Array<ArrayBuffer>;
  name?: string;
  type?: string;
  title?: string;
  description?: string;
}

function form(fields: UploadFields): FormData {
  const body = new FormData();
  if (fields.bytes !== undefined) {
    body.append("file", new File([fields.bytes], fields.name ?? "notulen.txt", { type: fields.type ?? "text/plain" }));
  }
  if (fields.title !== undefined) body.append("title", fields.title);
  if (fields.description !== undefined) body.append("description", fields.description);
  return body;
}

function upload<T = FileContent>(user: User, group: PleinGroup, body: BodyInit, target: Api = api) {
  return target.request<T>("POST", `${V1}/groups/${group.id}/files`, { token: user.token, body });
}

async function share(user: User, group: PleinGroup, fields: UploadFields): Promise<FileContent> {
  const res = await upload(user, group, form(fields));
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** A download, as a browser or another server would make it (not through the JSON-only helper). */
async function download(postId: string, token?: string, headers: Record<string, string> = {}): Promise<Response> {
  return api.running.app.request(new URL(`${V1}/posts/${postId}/file`, ORIGIN).href, {
    headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
}

async function mediaCount(): Promise<number> {
  const row = await api.running.deps.db.selectFrom("media").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

const sha256 = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  api = await startApi();
  alice = await api.user("alice");
  bob = await api.user("bob");
  carol = await api.user("carol");
  open = await createGroup(alice, { name: "werkgroep", visibility: "public", join_mode: "open" });
  closed = await createGroup(alice, { name: "begroting", visibility: "closed", join_mode: "open" });
  await join(bob, open);
  await join(bob, closed);
});

afterAll(async () => {
  await api?.close();
});

describe("sharing a file", () => {
  it("makes a Document post with the file, its title and its description", async () => {
    const bytes = "Notulen van 3 maart\nAanwezig: Anna, Bram\n";
    const post = await share(bob, open, { bytes, name: "notulen-3-maart.txt", type: "text/plain", title: "Notulen 3 maart", description: "De notulen, met #begroting" });
    expect(post).toMatchObject({ module: "file", type: "Document", group_id: open.id, title: "Notulen 3 maart", visibility: "public" });
    expect(post.content).toContain("De notulen");
    expect(post.content).toContain("/tags/begroting");
    expect(post.fields.file).toEqual({
      name: "notulen-3-maart.txt",
      media_type: "text/plain",
      size: Buffer.byteLength(bytes),
      sha256: sha256(bytes),
      url: `${ORIGIN}${V1}/posts/${post.id}/file`,
      download_url: `${ORIGIN}${V1}/posts/${post.id}/file`,
    });
    // The same through the generic routes: the post, and the group's files.
    const got = await api.request<FileContent>("GET", `${V1}/posts/${post.id}`, { token: carol.token });
    expect(got.body.fields.file).toEqual(post.fields.file);
    const list = await api.request<FileContent[]>("GET", `${V1}/groups/${open.id}/posts?module=file`);
    expect(list.body.map((p) => p.id)).toContain(post.id);
    // And the bytes.
    const res = await download(post.id, alice.token);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(bytes);
  });

  it("shows in Mastodon apps as the status's attachment, served by the download route", async () => {
    const post = await share(bob, closed, { bytes: "%PDF-1.4 x", name: "begroting.pdf", type: "application/pdf", title: "Begroting" });
    const status = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${post.id}`, { token: alice.token });
    expect(status.status).toBe(200);
    expect(status.body.media_attachments).toEqual([expect.objectContaining({
      id: post.id, type: "unknown", url: `${ORIGIN}${V1}/posts/${post.id}/file`, description: "begroting.pdf",
    })]);
    // Not to those who may not see the post: the status is the 404 of a missing one.
    expect((await api.request("GET", `/api/v1/statuses/${post.id}`, { token: carol.token })).status).toBe(404);
    const image = await share(bob, open, { bytes: "GIF89a", name: "logo.gif", type: "image/gif" });
    const inTimeline = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${bob.id}/statuses`);
    expect(inTimeline.body.find((s) => s.id === image.id)?.media_attachments.map((a) => a.type)).toEqual(["image"]);
  });

  it("takes the file's name as the title when none is given, and no description", async () => {
    const post = await share(bob, open, { bytes: "x", name: "agenda.pdf", type: "application/pdf" });
    expect(post.title).toBe("agenda.pdf");
    expect(post.content).toBe("");
  });

  it("keeps the bytes exactly, binary included", async () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31 + 7) % 256);
    const post = await share(bob, open, { bytes, name: "scan.png", type: "image/png" });
    expect(post.fields.file?.sha256).toBe(sha256(bytes));
    const res = await download(post.id);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-length")).toBe("70000");
  });

  it("takes a file over the 1 MiB limit of other requests (the upload route alone is lifted)", async () => {
    const bytes = new Uint8Array(2 * MIB).fill(65);
    const post = await share(bob, open, { bytes, name: "groot.bin", type: "application/octet-stream" });
    expect(post.fields.file?.size).toBe(2 * MIB);
    // Every other route keeps its 1 MiB.
    const text = await api.request("POST", `${V1}/groups/${open.id}/posts`, { token: bob.token, json: { text: "a".repeat(2 * MIB) } });
    expect(text.status).toBe(413);
  });

  it("keeps only the last segment of a file name, without control characters", async () => {
    const post = await share(bob, open, { bytes: "root:x:0:0", name: "../../etc/passwd\u202e.txt", type: "text/plain" });
    expect(post.fields.file?.name).toBe("passwd.txt");
  });

  it("is refused through the generic content route, which has no file", async () => {
    const res = await api.request("POST", `${V1}/groups/${open.id}/posts`, { token: bob.token, json: { module: "file", text: "zonder bestand" } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/\/files/);
  });
});

describe("uploads that are refused", () => {
  it("without a file: 422, whatever else is sent", async () => {
    const before = await mediaCount();
    const cases: Array<[string, BodyInit, string?]> = [
      ["only a title", form({ title: "Geen bestand" })],
      ["file as a text field", (() => {
        const f = new FormData();
        f.append("file", "not a file");
        return f;
      })()],
      ["two files", (() => {
        const f = new FormData();
        f.append("file", new File(["a"], "a.txt"));
        f.append("file", new File(["b"], "b.txt"));
        return f;
      })()],
      ["an empty file", form({ bytes: "", name: "leeg.txt" })],
    ];
    for (const [what, body] of cases) {
      const res = await upload<ApiError>(bob, open, body);
      expect(res.status, what).toBe(422);
      expect(res.body.error, what).toMatch(/file/);
    }
    const json = await api.request("POST", `${V1}/groups/${open.id}/files`, { token: bob.token, json: { title: "JSON" } });
    expect(json.status).toBe(422);
    expect(await mediaCount()).toBe(before);
  });

  it("a malformed multipart body: 400", async () => {
    const res = await api.request("POST", `${V1}/groups/${open.id}/files`, {
      token: bob.token, body: "--x\r\nnonsense", contentType: "multipart/form-data; boundary=y",
    });
    expect(res.status).toBe(400);
  });

  it("by a non-member, or in a group without files: 403, and nothing is kept", async () => {
    const before = await mediaCount();
    const stranger = await upload<ApiError>(carol, closed, form({ bytes: "hallo" }));
    expect(stranger.status).toBe(403);
    const noFiles = await createGroup(alice, { name: "zonderbestanden", visibility: "public", modules: ["discussion"] });
    const off = await upload<ApiError>(alice, noFiles, form({ bytes: "hallo" }));
    expect(off.status).toBe(403);
    expect(off.body.error).toMatch(/file/);
    expect(await mediaCount()).toBe(before);
  });

  it("by a non-member: refused before the body is read", async () => {
    const total = 8 * MIB;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) return controller.close();
        const n = Math.min(64 * KIB, total - sent);
        sent += n;
        controller.enqueue(new Uint8Array(n).fill(0x61));
      },
    }, { highWaterMark: 0 });
    const init: RequestInit & { duplex: "half" } = {
      method: "POST", body, duplex: "half",
      headers: { authorization: `Bearer ${carol.token}`, "content-type": "multipart/form-data; boundary=x", "content-length": String(total) },
    };
    const res = await api.running.app.request(new URL(`${V1}/groups/${closed.id}/files`, ORIGIN).href, init);
    expect(res.status).toBe(403);
    expect(sent).toBeLessThan(total / 4);
  });

  it("in a secret group the caller cannot see: the 404 of a missing group", async () => {
    const secret = await createGroup(alice, { name: "geheim", visibility: "secret", join_mode: "invite" });
    const res = await upload<ApiError>(carol, secret, form({ bytes: "hallo" }));
    const missing = await upload<ApiError>(carol, { ...secret, id: "999999999" }, form({ bytes: "hallo" }));
    expect(res.status).toBe(404);
    expect(res.text).toBe(missing.text);
  });

  it("without a token, or with one that may not write: 401 and 403", async () => {
    const anonymous = await api.request("POST", `${V1}/groups/${open.id}/files`, { body: form({ bytes: "x" }) });
    expect(anonymous.status).toBe(401);
    const readOnly = await api.token(bob, ["read"]);
    const res = await api.request("POST", `${V1}/groups/${open.id}/files`, { token: readOnly, body: form({ bytes: "x" }) });
    expect(res.status).toBe(403);
  });
});

describe("the size limit (PLEIN_MAX_FILE_SIZE)", () => {
  let small: Api;
  let owner: User;
  let group: PleinGroup;

  beforeAll(async () => {
    small = await startApi({ env: { PLEIN_MAX_FILE_SIZE: "64KiB" } });
    owner = await small.user("olga");
    const res = await small.request<PleinGroup>("POST", `${V1}/groups`, { token: owner.token, json: { name: "klein", visibility: "public" } });
    group = res.body;
  });
  afterAll(async () => {
    await small?.close();
  });

  it("takes a file of exactly the limit", async () => {
    const res = await upload(owner, group, form({ bytes: new Uint8Array(64 * KIB), name: "precies.bin" }), small);
    expect(res.status, res.text).toBe(200);
  });

  it("refuses a file one byte over it with 413, and keeps nothing", async () => {
    const res = await upload<ApiError>(owner, group, form({ bytes: new Uint8Array(64 * KIB + 1), name: "te-groot.bin" }), small);
    expect(res.status).toBe(413);
    expect(res.body.error).toBe("The file is larger than 64 KiB");
    const count = await small.running.deps.db.selectFrom("media").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it("refuses a request body far over it before reading it: 413", async () => {
    const res = await upload<ApiError>(owner, group, form({ bytes: new Uint8Array(2 * MIB), name: "veel-te-groot.bin" }), small);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/larger than/);
  });
});

describe("types nobody should be served", () => {
  it.each([
    ["text/html", "page.html", "<script>alert(document.cookie)</script>"],
    ["application/activity+json", "actor.json", JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: `${ORIGIN}/users/alice`, type: "Person" })],
    ["image/svg+xml", "logo.svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ["application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", "note.jsonld", "{}"],
  ])("a file declared %s is kept as declared, and served as application/octet-stream", async (type, name, bytes) => {
    const post = await share(bob, open, { bytes, name, type });
    expect(post.fields.file?.media_type).toBe(type.split(";")[0]);
    const res = await download(post.id, bob.token, { accept: "application/activity+json" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; /);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("sandbox");
    expect(await res.text()).toBe(bytes);
  });

  it("a type that is no type at all is kept as application/octet-stream", async () => {
    const post = await share(bob, open, { bytes: "x", name: "raar.bin", type: "nonsense" });
    expect(post.fields.file?.media_type).toBe("application/octet-stream");
  });
});

describe("downloads", () => {
  let secretFile: FileContent;
  let publicFile: FileContent;
  let note: PleinContent;
  const BYTES = "Vertrouwelijk: begroting 2027";

  beforeAll(async () => {
    secretFile = await share(bob, closed, { bytes: BYTES, name: "begroting-2027.xlsx", type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", title: "Begroting 2027" });
    publicFile = await share(bob, open, { bytes: "Openbaar", name: "openbaar.txt", type: "text/plain" });
    const res = await api.request<PleinContent>("POST", `${V1}/groups/${closed.id}/posts`, { token: alice.token, json: { text: "Geen bestand" } });
    note = res.body;
  });

  it("a closed group's file: its members get the bytes", async () => {
    expect(secretFile.visibility).toBe("group");
    for (const member of [alice, bob]) {
      const res = await download(secretFile.id, member.token);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(BYTES);
    }
  });

  it("a closed group's file: non-members and anonymous callers get the 404 of a missing file", async () => {
    const missing = await download("999999999", carol.token);
    expect(missing.status).toBe(404);
    const missingBody = await missing.text();
    expect(JSON.parse(missingBody)).toEqual({ error: "Record not found" });
    const answers = [
      await download(secretFile.id, carol.token),
      await download(secretFile.id),
      // A signature this instance cannot verify is no one.
      await download(secretFile.id, undefined, { signature: 'keyId="https://evil.example/actor#key",headers="(request-target) host date",signature="AAAA"', date: new Date().toUTCString() }),
      // A post that is not a file, and a path that is no id.
      await download(note.id, alice.token),
      await download("not-an-id", alice.token),
    ];
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      expect(await res.text()).toBe(missingBody);
    }
  });

  it("a file waiting for a moderator: only its uploader and the group's moderators get it", async () => {
    const moderated = await createGroup(alice, { name: "gemodereerd", visibility: "public", join_mode: "open", moderate_posts: true });
    await join(bob, moderated);
    await join(carol, moderated);
    const pending = await share(bob, moderated, { bytes: "wacht", name: "wacht.txt" });
    expect(pending.moderation).toBe("pending");
    expect((await download(pending.id, bob.token)).status).toBe(200);
    expect((await download(pending.id, alice.token)).status).toBe(200);
    expect((await download(pending.id, carol.token)).status).toBe(404);
    expect((await download(pending.id)).status).toBe(404);
    const approved = await api.request("POST", `${V1}/groups/${moderated.id}/moderation/${pending.id}/approve`, { token: alice.token });
    expect(approved.status, approved.text).toBe(200);
    expect((await download(pending.id)).status).toBe(200);
  });

  it("a public group's file: anyone gets it", async () => {
    const res = await download(publicFile.id);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Openbaar");
  });

  it("is served with forced safe headers", async () => {
    const res = await download(secretFile.id, bob.token);
    expect(res.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="begroting-2027.xlsx"; filename*=UTF-8''begroting-2027.xlsx`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("sandbox");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(BYTES)));
    expect(res.headers.get("etag")).toBe(`"sha256-${sha256(BYTES)}"`);
  });

  it("HEAD tells a member the headers without the bytes, and others the same 404", async () => {
    const head = (token?: string) => api.running.app.request(new URL(`${V1}/posts/${secretFile.id}/file`, ORIGIN).href, {
      method: "HEAD", headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const member = await head(bob.token);
    expect(member.status).toBe(200);
    expect(member.headers.get("content-disposition")).toMatch(/^attachment; /);
    expect(member.headers.get("content-length")).toBe(String(Buffer.byteLength(BYTES)));
    expect(await member.text()).toBe("");
    expect((await head(carol.token)).status).toBe(404);
  });

  it("an invalid token is a 401, as everywhere", async () => {
    const res = await download(secretFile.id, "not-a-real-token");
    expect(res.status).toBe(401);
  });

  it("an edit changes the title and description, and keeps the file", async () => {
    const res = await api.request<FileContent>("PATCH", `${V1}/posts/${publicFile.id}`, { token: bob.token, json: { title: "Nieuwe titel", text: "Nieuwe beschrijving" } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.title).toBe("Nieuwe titel");
    expect(res.body.content).toContain("Nieuwe beschrijving");
    expect(res.body.fields.file).toEqual(publicFile.fields.file);
    expect(await (await download(publicFile.id)).text()).toBe("Openbaar");
  });

  it("a deleted file post: its file is gone too", async () => {
    const post = await share(bob, open, { bytes: "weg", name: "weg.txt" });
    expect((await download(post.id)).status).toBe(200);
    expect((await api.request("DELETE", `${V1}/posts/${post.id}`, { token: bob.token })).status).toBe(200);
    expect((await download(post.id, bob.token)).status).toBe(404);
  });
});

describe("storage rows", () => {
  it("an account's removal takes its uploads' rows and its file posts with it", async () => {
    const dora = await api.user("dora");
    await join(dora, open);
    const post = await share(dora, open, { bytes: "van dora", name: "dora.txt" });
    const db = api.running.deps.db;
    await db.deleteFrom("actors").where("id", "=", dora.id).execute();
    expect(await db.selectFrom("posts").select("id").where("id", "=", post.id).executeTakeFirst()).toBeUndefined();
    expect(await db.selectFrom("media").select("id").where("owner_id", "=", dora.id).executeTakeFirst()).toBeUndefined();
  });
});

describe("the OpenAPI document", () => {
  it("describes the upload, the download and the file's fields", async () => {
    const res = await api.request<{ paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } }>("GET", `${V1}/openapi.json`);
    expect(Object.keys(res.body.paths["/groups/{id}/files"] ?? {})).toEqual(["post"]);
    expect(Object.keys(res.body.paths["/posts/{id}/file"] ?? {})).toEqual(["get"]);
    expect(Object.keys(res.body.components.schemas["module.file.fields"]?.properties ?? {})).toEqual(["file"]);
    expect(Object.keys(res.body.components.schemas["module.file.input"]?.properties ?? {})).toEqual(["title"]);
  });
});

describe("reading remote Documents", () => {
  const AS = "https://www.w3.org/ns/activitystreams";
  const read = async (json: Record<string, unknown>) => readFile(await Document.fromJsonLd({ "@context": AS, type: "Document", id: "https://b.example/documents/1", ...json }));

  it("a Plein Document: the Link's href, mediaType and name", async () => {
    expect(await read({
      url: { type: "Link", href: "https://b.example/api/plein/v1/posts/7/file", mediaType: "application/pdf", name: "agenda.pdf" },
      mediaType: "application/pdf",
    })).toEqual({ kind: "remote", url: "https://b.example/api/plein/v1/posts/7/file", fileName: "agenda.pdf", mediaType: "application/pdf" });
  });

  it("a plain url: the Document's mediaType and the URL's last segment", async () => {
    expect(await read({ url: "https://b.example/files/jaar%20verslag.pdf", mediaType: "application/pdf; x=1" }))
      .toEqual({ kind: "remote", url: "https://b.example/files/jaar%20verslag.pdf", fileName: "jaar verslag.pdf", mediaType: "application/pdf" });
  });

  it("hostile values: no http(s) URL is nothing; names and types are cleaned", async () => {
    for (const url of ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<script>", "https://user:pw@b.example/x"]) {
      expect(await read({ url }), url).toBeNull();
    }
    expect(await read({})).toBeNull();
    expect(await read({ url: `https://b.example/${"a".repeat(3000)}` })).toBeNull();
    expect(await read({ url: { type: "Link", href: "https://b.example/x", mediaType: "text/html\r\nX: y", name: "../../../etc/passwd" } }))
      .toEqual({ kind: "remote", url: "https://b.example/x", fileName: "passwd", mediaType: "application/octet-stream" });
    expect(await read({ url: "https://b.example/%E0%A4%A" })).toMatchObject({ fileName: "%E0%A4%A" });
  });

  it("not a Document: nothing", async () => {
    const { Note } = await import("@fedify/vocab");
    expect(await fileModule.activityPub!.read!(await Note.fromJsonLd({ "@context": AS, type: "Note", id: "https://b.example/n/1", url: "https://b.example/x.pdf" }))).toBeNull();
  });
});

describe("a Mobilizon group resource (test/federation/fixtures/mobilizon-create-resource.json)", () => {
  const FIXTURES = joinPath(import.meta.dirname, "..", "federation", "fixtures");
  /** Mobilizon's context, with Litepub's (fetched by URL; no Internet here) replaced by the security vocabulary it brings. */
  function fixture(): Record<string, unknown> {
    const context = readFileSync(joinPath(FIXTURES, "mobilizon-context.json"), "utf8")
      .replace(JSON.stringify("https://litepub.social/context.jsonld"), JSON.stringify("https://w3id.org/security/v1"));
    return JSON.parse(readFileSync(joinPath(FIXTURES, "mobilizon-create-resource.json"), "utf8").replaceAll('"{{mobilizonContext}}"', context)) as Record<string, unknown>;
  }

  it("is read as a link to a page: its URL and a name, no media type", async () => {
    const create = await Create.fromJsonLd(fixture());
    const object = await create.getObject();
    expect(object).toBeInstanceOf(Document);
    expect(await readFile(object!)).toEqual({
      kind: "remote", url: "https://pad.remote.example/p/framasoft-meetings", fileName: "framasoft-meetings", mediaType: null,
    });
  });
});

describe("remote file posts", () => {
  async function remotePost(slug: string, data: FileData) {
    const db = api.running.deps.db;
    const author = await upsertRemoteActor(db, "plein.test", {
      iri: "https://files.example/users/ria", type: "Person", username: "ria", displayName: "Ria", summaryHtml: "",
      url: null, avatarUrl: null, headerUrl: null, inbox: "https://files.example/users/ria/inbox", sharedInbox: null, outbox: null,
      followers: "https://files.example/users/ria/followers", following: null, featured: null, manuallyApprovesFollowers: false,
      bot: false, fields: [], followersCount: null, followingCount: null, postsCount: null,
    });
    return upsertRemotePost(db, author, {
      iri: `https://files.example/documents/${slug}`, url: null, type: "Document", visibility: "public", inReplyToIri: null,
      name: "Een bestand", summary: null, sensitive: false, contentHtml: "<p>Beschrijving</p>", language: null,
      publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [], attachments: [], extra: {}, module: "file",
    }, "create", (trx, post) => fileModule.save!(trx, post, data, author));
  }

  it("a link nobody typed (a Mobilizon resource) is shown as a link, and not fetched", async () => {
    const post = await remotePost("link", { kind: "remote", url: "https://pad.example/p/notes", fileName: "notes", mediaType: null });
    const res = await api.request<FileContent>("GET", `${V1}/posts/${post.id}`);
    expect(res.body.fields.file).toEqual({ name: "notes", media_type: null, size: null, sha256: null, url: "https://pad.example/p/notes", download_url: null });
    expect((await download(post.id)).status).toBe(404);
  });

  it("a typed remote file is fetched through this server; when that fails, a 502 with a reason", async () => {
    const post = await remotePost("pdf", { kind: "remote", url: "https://files.example/media/verslag.pdf", fileName: "verslag.pdf", mediaType: "application/pdf" });
    const res = await api.request<FileContent>("GET", `${V1}/posts/${post.id}`);
    expect(res.body.fields.file?.download_url).toBe(`${ORIGIN}${V1}/posts/${post.id}/file`);
    // This test instance reaches no other server (test/api/support.ts).
    const failed = await download(post.id);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({ error: "The file could not be fetched from the server it is on" });
  });

  it("a remote file that claims to be on this server is never fetched from it", async () => {
    const post = await remotePost("ours", { kind: "remote", url: `${ORIGIN}${V1}/posts/1/file`, fileName: "x", mediaType: "text/plain" });
    expect((await download(post.id)).status).toBe(404);
  });

  it("a remote update replaces the link; our own posts cannot be given one", async () => {
    const post = await remotePost("update", { kind: "remote", url: "https://files.example/a.txt", fileName: "a.txt", mediaType: "text/plain" });
    const db = api.running.deps.db;
    await db.transaction().execute((trx) => fileModule.save!(trx, post, { kind: "remote", url: "https://files.example/b.txt", fileName: "b.txt", mediaType: "text/plain" }, alice.actor));
    const res = await api.request<FileContent>("GET", `${V1}/posts/${post.id}`);
    expect(res.body.fields.file).toMatchObject({ name: "b.txt", url: "https://files.example/b.txt" });
    const ours = await share(bob, open, { bytes: "eigen", name: "eigen.txt" });
    const local = await db.selectFrom("posts").selectAll().where("id", "=", ours.id).executeTakeFirstOrThrow();
    await expect(db.transaction().execute((trx) => fileModule.save!(trx, local, { kind: "remote", url: "https://evil.example/x", fileName: "x", mediaType: "text/plain" }, bob.actor)))
      .rejects.toThrow(/uploaded/);
  });
});
