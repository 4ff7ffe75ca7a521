/**
 * Which HTTP Signatures spec each server gets, between a real Plein and two
 * real (minimal) servers on loopback: one that takes RFC 9421, Fedify's first
 * knock, and one that knows only the older draft. What is remembered per
 * server (federation/signature-spec-cache.ts) decides how many requests each
 * delivery costs.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNATURE_SPEC_PREFIX } from "../../federation/signature-spec-cache.ts";
import { loadConfig } from "../../src/config.ts";
import type { Actor, Post } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { receiveFollow } from "../../src/domain/follows.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import type { RunningPlein } from "../../src/server.ts";
import { type DeliveringPlein, startDeliveringPlein } from "./delivering-plein.ts";
import { type Delivery, type FakeActor, FakeRemote } from "./fake-remote.ts";

const ORIGIN = "https://plein.test";
const config = loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://", PLEIN_ALLOW_PRIVATE_ADDRESS: "true" });
const CAVAGE = "draft-cavage-http-signatures-12";

let running: RunningPlein;
let modern: FakeRemote;
let old: FakeRemote;
let plein: DeliveringPlein;
let alice: Actor;
let carol: FakeActor; // on the modern server
let olga: FakeActor; // on the old one

beforeAll(async () => {
  modern = new FakeRemote();
  old = new FakeRemote();
  old.refuseRfc9421 = true;
  await modern.start();
  await old.start();
  plein = await startDeliveringPlein(config);
  running = plein.running;
  const db = running.deps.db;
  alice = await createUser(db, config.origin, { username: "alice", email: "a@plein.test", password: "correct horse" });
  carol = await modern.addActor("carol");
  olga = await old.addActor("olga");
  for (const [remote, actor] of [[modern, carol], [old, olga]] as const) {
    const row = await remote.store(db, "plein.test", actor);
    await receiveFollow(db, row, alice, `${remote.origin}/follows/${actor.username}`);
  }
}, 120_000);

afterAll(async () => {
  await plein?.stop();
  await modern?.stop();
  await old?.stop();
});

function post(): Promise<Post> {
  return createLocalPost(running.deps.db, config.origin, alice, { contentHtml: "<p>spec</p>", visibility: "public", mentionIds: [] });
}

const of = (remote: FakeRemote, p: Post): Delivery[] => remote.deliveries.filter((d) => (d.body.object as { id?: string } | undefined)?.id === p.iri);
const signedPer9421 = (d: Delivery) => d.headers["signature-input"] !== undefined;

/** What Plein's store remembers for a server's origin, if anything. */
async function storedSpec(origin: string): Promise<unknown> {
  const key = JSON.stringify([...SIGNATURE_SPEC_PREFIX, origin]);
  const row = await sql<{ value: unknown }>`select value from kv_entries where key = ${key}`.execute(running.deps.db);
  return row.rows[0]?.value;
}

/** The activity a delivery carries and the object it is about. */
const idOf = (d: Delivery) => String(d.body.id);

describe("HTTP Signatures specs per server", () => {
  it("signs per RFC 9421 for a server that takes it, one request per delivery, and stores nothing for it", async () => {
    await modern.waitFor((d) => d.body.type === "Accept");
    const posts = [await post(), await post()];
    for (const p of posts) await modern.waitFor((d) => (d.body.object as { id?: string } | undefined)?.id === p.iri);
    expect(modern.deliveries.length).toBe(3);
    expect(modern.deliveries.every(signedPer9421)).toBe(true);
    expect(new Set(modern.deliveries.map(idOf)).size).toBe(3);
    expect(await storedSpec(modern.origin)).toBeUndefined();
  });

  it("falls back to the draft for a server that refuses RFC 9421, remembers that, and knocks once from then on", async () => {
    // The first activity it gets (the Accept of olga's Follow) knocks twice.
    await old.waitFor((d) => d.body.type === "Accept" && !signedPer9421(d));
    expect(old.deliveries.slice(0, 2).map((d) => [d.body.type, signedPer9421(d)])).toEqual([["Accept", true], ["Accept", false]]);
    expect(old.deliveries[1]!.headers.signature).toContain(`keyId="${alice.iri}#`);
    expect(await storedSpec(old.origin)).toBe(CAVAGE);
    const posts = [await post(), await post()];
    for (const p of posts) await old.waitFor((d) => (d.body.object as { id?: string } | undefined)?.id === p.iri);
    // Everything after (the first test's posts too): one request each, per the draft.
    const later = old.deliveries.slice(2);
    expect(later.length).toBeGreaterThanOrEqual(2);
    expect(later.some(signedPer9421)).toBe(false);
    expect(new Set(later.map(idOf)).size).toBe(later.length);
    for (const p of posts) expect(of(old, p)).toHaveLength(1);
  });
});
