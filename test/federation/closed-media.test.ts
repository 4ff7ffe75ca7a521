/**
 * Media of closed content. A remote server (a real HTTP server in the test)
 * posts a followers-only note with an image that it serves only to signed
 * requests, as a server guarding closed content does. alice follows its
 * author, carol does not. Clients are given this server's attachment URL for
 * it; alice's token gets the bytes (fetched from the remote signed by this
 * server), everyone else the 404 of a missing attachment. A public post's
 * attachment is served by this server's media proxy (issue 9).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { Actor } from "../../src/db/schema.ts";
import { follow, markFollowAccepted } from "../../src/domain/follows.ts";
import { issueToken } from "../../src/domain/tokens.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let remote: FakeRemote;
let bob: FakeActor;
let aliceToken: string;
let carolToken: string;
let closedStatus: MastodonStatus;
let publicStatus: MastodonStatus;

const IMAGE = new Uint8Array(2048).map((_, i) => (i * 13 + 5) % 256);
const signedImageRequests: string[] = [];

async function request(path: string, token?: string, method = "GET"): Promise<Response> {
  return plein.running.app.request(new URL(path, plein.origin).href, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function deliverNote(fields: { to: string[]; cc: string[] }): Promise<string> {
  const object = {
    id: newId(bob, "notes"), type: "Note", attributedTo: bob.iri, content: "<p>Kijk</p>", published: "2026-01-01T00:00:00Z",
    attachment: [{ type: "Document", mediaType: "image/png", url: remote.url("/media/plan.png"), name: "het plan" }],
    ...fields,
  };
  const res = await deliver(plein.running.app, plein.origin, "/inbox",
    { "@context": AS_CONTEXT, id: newId(bob), type: "Create", actor: bob.iri, to: object.to, cc: object.cc, object }, bob);
  expect(res.status).toBe(202);
  await plein.drain();
  return object.id;
}

async function statusOf(iri: string, token: string): Promise<MastodonStatus> {
  const row = await plein.db.selectFrom("posts").select("id").where("iri", "=", iri).executeTakeFirstOrThrow();
  const res = await request(`/api/v1/statuses/${row.id}`, token);
  expect(res.status).toBe(200);
  return await res.json() as MastodonStatus;
}

/** Status, body and every header but the date and the caller's rate-limit count (about the caller, not the object). */
async function answer(res: Response): Promise<{ status: number; body: string; headers: Record<string, string> }> {
  const aboutTheObject = ([name]: [string, string]) => name !== "date" && !name.startsWith("x-ratelimit-");
  return { status: res.status, body: await res.text(), headers: Object.fromEntries([...res.headers].filter(aboutTheObject)) };
}

beforeAll(async () => {
  [plein, remote] = await Promise.all([startInboxInstance(), startFakeRemote()]);
  const alice: Actor = await plein.user("alice");
  const carol: Actor = await plein.user("carol");
  aliceToken = await issueToken(plein.db, alice, ["read"]);
  carolToken = await issueToken(plein.db, carol, ["read"]);
  bob = await remote.actor("bob");
  const bobRow = await plein.running.deps.resolver.resolveActor(bob.iri);
  await follow(plein.db, plein.origin, alice, bobRow!);
  await markFollowAccepted(plein.db, alice, bobRow!);
  // Served only to a signed request, as a server guarding its closed content does.
  remote.serveRaw("/media/plan.png", (req, res) => {
    if (typeof req.headers.signature !== "string") return void res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    signedImageRequests.push(req.headers.signature);
    res.writeHead(200, { "content-type": "image/png", "content-length": String(IMAGE.length) }).end(IMAGE);
  });
  const closedIri = await deliverNote({ to: [bob.followers], cc: [] });
  const publicIri = await deliverNote({ to: [PUBLIC], cc: [bob.followers] });
  closedStatus = await statusOf(closedIri, aliceToken);
  publicStatus = await statusOf(publicIri, aliceToken);
});

afterAll(async () => {
  await remote?.close();
  await plein?.close();
});

describe("attachments of a followers-only post", () => {
  test("are shown at this server's URL, with the original as remote_url", () => {
    expect(closedStatus.visibility).toBe("private");
    const [attachment] = closedStatus.media_attachments;
    expect(attachment).toMatchObject({
      type: "image",
      url: `${plein.origin.origin}/api/plein/v1/attachments/${attachment!.id}`,
      preview_url: `${plein.origin.origin}/api/plein/v1/attachments/${attachment!.id}`,
      remote_url: remote.url("/media/plan.png"),
    });
  });

  test("a follower gets the bytes, fetched from the remote signed by this server, with safe headers", async () => {
    const before = signedImageRequests.length;
    const res = await request(new URL(closedStatus.media_attachments[0]!.url).pathname, aliceToken);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(IMAGE);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="plan.png"/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(signedImageRequests.length).toBe(before + 1);
    expect(signedImageRequests.at(-1)).toContain(`keyId="${plein.origin.origin}/`);
  });

  test("a later download is served from this server's copy: the remote is asked once", async () => {
    const path = new URL(closedStatus.media_attachments[0]!.url).pathname;
    expect((await request(path, aliceToken)).status).toBe(200);
    const before = signedImageRequests.length;
    const res = await request(path, aliceToken);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(IMAGE);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(signedImageRequests.length).toBe(before);
  });

  test("anonymous callers and non-followers get the 404 of a missing attachment, and nothing is fetched", async () => {
    const path = new URL(closedStatus.media_attachments[0]!.url).pathname;
    const before = signedImageRequests.length;
    for (const token of [undefined, carolToken]) {
      for (const method of ["GET", "HEAD"]) {
        const forbidden = await answer(await request(path, token, method));
        const absent = await answer(await request("/api/plein/v1/attachments/999999999", token, method));
        expect(forbidden.status, `${method} ${token ? "carol" : "anonymous"}`).toBe(404);
        expect(forbidden, `${method} ${token ? "carol" : "anonymous"}`).toEqual(absent);
      }
    }
    expect((await request("/api/plein/v1/attachments/not-an-id", carolToken)).status).toBe(404);
    expect(signedImageRequests.length).toBe(before);
  });
});

describe("attachments of a public post", () => {
  test("are served from this server's media proxy (issue 9), the original as remote_url", () => {
    const [attachment] = publicStatus.media_attachments;
    expect(attachment!.url).toMatch(new RegExp(`^${plein.origin.origin}/media_proxy/attachment/${attachment!.id}/[\\w-]{22}$`));
    expect(attachment).toMatchObject({ preview_url: attachment!.url, remote_url: remote.url("/media/plan.png") });
  });

  test("naming the closed file's URL gets no one the copy fetched for the follower: the proxy asks unsigned, and is refused", async () => {
    // The follower's signed download above left a copy of /media/plan.png on this server.
    expect((await request(new URL(closedStatus.media_attachments[0]!.url).pathname, aliceToken)).status).toBe(200);
    const res = await request(new URL(publicStatus.media_attachments[0]!.url).pathname);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });
});
