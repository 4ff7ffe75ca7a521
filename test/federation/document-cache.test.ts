/**
 * Published documents answered from memory (federation/document-cache.ts):
 * an unsigned GET of a public actor or object is served from the cache, a
 * change made through Plein shows at once, and closed content is never
 * kept there, so a stranger never gets it, whoever asked for it before.
 */
import { signRequest } from "@fedify/fedify";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";
import { ACTIVITY_JSON, type Account, expectStatus, postStatus } from "../support/mastodon.ts";
import { createGroup, groupOn, joinGroup, type PleinGroup, postInGroup, waitForMembership } from "../support/plein.ts";

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let anna: TestUser;
let bram: TestUser;
let closed: PleinGroup;

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

async function document(url: string): Promise<Record<string, unknown>> {
  const res = await get(url);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  instances = await startInstances(2);
  [A, B] = instances as [TestInstance, TestInstance];
  anna = await A.createUser("anna", { displayName: "Anna" });
  bram = await B.createUser("bram");
  closed = await createGroup(anna, { name: "raad", visibility: "closed", join_mode: "open" });
  const onB = await groupOn(bram, `${closed.account.username}@${A.host}`);
  await joinGroup(bram, onB);
  await waitForMembership(bram, onB.id, "member");
}, 60_000);

afterAll(async () => {
  await closeInstances(instances);
});

describe("the published document cache", () => {
  it("answers an actor from memory, and shows a profile change made through Plein at once", async () => {
    expect((await document(anna.actor.iri)).name).toBe("Anna");
    // Changed behind Plein's back: the cached document is still served.
    await sql`update actors set display_name = 'Anna (database)' where id = ${anna.actor.id}`.execute(A.running.deps.db);
    expect((await document(anna.actor.iri)).name).toBe("Anna");
    // Changed through Plein: the next GET has it.
    expectStatus(await anna.api.patch<Account>("/api/v1/accounts/update_credentials", { display_name: "Anna de Vries" }), 200, "update_credentials");
    expect((await document(anna.actor.iri)).name).toBe("Anna de Vries");
    await settle(instances);
    expect((await document(anna.actor.iri)).name).toBe("Anna de Vries");
  });

  it("shows an edited or deleted public post at once", async () => {
    const status = await postStatus(anna, { status: "eerste versie", visibility: "public" });
    expect(String((await document(status.uri)).content)).toContain("eerste versie");
    expect((await anna.api.put(`/api/v1/statuses/${status.id}`, { status: "tweede versie" })).status).toBe(200);
    expect(String((await document(status.uri)).content)).toContain("tweede versie");
    expect((await anna.api.delete(`/api/v1/statuses/${status.id}`)).status).toBe(200);
    expect((await get(status.uri)).status).toBe(410);
  });

  it("never keeps closed content: a stranger gets the one 404 after a member read it", async () => {
    const post = await postInGroup(anna, closed.id, { text: "Alleen voor de raad" });
    await settle(instances);
    const asMember = await get(post.uri, { instance: B, identifier: "bram" });
    expect(asMember.status).toBe(200);
    expect(asMember.headers.get("cache-control")).toBe("private, no-store");
    for (let i = 0; i < 2; i++) {
      const asStranger = await get(post.uri);
      expect(asStranger.status).toBe(404);
      expect(await asStranger.text()).not.toContain("Alleen voor de raad");
    }
  });
});
