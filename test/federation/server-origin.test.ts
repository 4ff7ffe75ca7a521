/**
 * A remote server is its whole origin (scheme, host, port), and local is the
 * `local` flag, never a host name. An instance actor served from our own host
 * name under another scheme is a stranger: its signed fetches see
 * what anonymous ones see, not what our local followers may read.
 */
import { signRequest } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeInstances, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";
import { type FakeActor, type FakeRemote, startFakeRemote } from "../support/fake-remote.ts";
import { postStatus, type Status } from "../support/mastodon.ts";

let instances: TestInstance[];
let A: TestInstance;
let alice: TestUser;
let bob: TestUser;
let impostor: FakeRemote;
let server: FakeActor;
let followersOnly: Status;
let direct: Status;
let open: Status;

beforeAll(async () => {
  instances = await startInstances(1);
  A = instances[0]!;
  alice = await A.createUser("alice");
  bob = await A.createUser("bob");
  const follow = await bob.api.post<{ following: boolean }>(`/api/v1/accounts/${alice.actor.id}/follow`);
  expect(follow.body.following).toBe(true);
  followersOnly = await postStatus(alice, { status: "only for my followers", visibility: "private" });
  direct = await postStatus(alice, { status: `@bob only for you`, visibility: "direct" });
  open = await postStatus(alice, { status: "for everyone", visibility: "public" });
  // Our host name, plain http (port 80, so its host is exactly ours): not us.
  impostor = await startFakeRemote({ host: A.host, port: 80 });
  server = await impostor.actor(A.host, { type: "Application" });
});

afterAll(async () => {
  await impostor?.close();
  await closeInstances(instances);
});

async function signedGet(url: string): Promise<{ status: number; text: string }> {
  const request = await signRequest(new Request(url, { headers: { accept: "application/activity+json" } }),
    server.privateKey, new URL(server.keyId));
  const res = await fetch(request);
  return { status: res.status, text: await res.text() };
}

describe("an instance actor on our host name with another scheme", () => {
  test("reads neither followers-only posts nor direct messages of local accounts", async () => {
    expect(new URL(server.iri).host).toBe(A.host);
    expect(new URL(server.iri).origin).not.toBe(A.origin);
    for (const post of [followersOnly, direct]) expect((await signedGet(post.uri)).status).toBe(404);
    expect((await signedGet(open.uri)).status).toBe(200);
  });

  test("sees only public items of the outbox", async () => {
    const res = await signedGet(`${A.origin}/users/alice/outbox?cursor=`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(open.uri);
    expect(res.text).not.toContain(followersOnly.uri);
    expect(res.text).not.toContain(direct.uri);
  });
});
