/**
 * Plein's version is written once, in package.json: NodeInfo, the Mastodon
 * instance entity and the User-Agent of every fetch say the same.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AS_CONTEXT, deliver, type FakeRemote, newId, startFakeRemote } from "./support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "./support/inbox.ts";

const version = (JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string }).version;

let plein: InboxInstance;
let remote: FakeRemote;

beforeAll(async () => {
  [plein, remote] = await Promise.all([startInboxInstance(), startFakeRemote()]);
  await plein.user("alice");
});

afterAll(async () => {
  await remote?.close();
  await plein?.close();
});

describe("the version in package.json", () => {
  it("is what NodeInfo and the instance entity report", async () => {
    const nodeinfo = await plein.running.app.request("https://plein.test/nodeinfo/2.1", { headers: { accept: "application/json" } });
    expect(((await nodeinfo.json()) as { software: { version: string } }).software.version).toBe(version);
    const instance = await plein.running.app.request("https://plein.test/api/v2/instance");
    expect(((await instance.json()) as { version: string }).version).toContain(`Plein ${version}`);
  });

  it("is in the User-Agent of what Plein fetches", async () => {
    const bob = await remote.actor("bob");
    const res = await deliver(plein.running.app, plein.origin, "/users/alice/inbox",
      { "@context": AS_CONTEXT, id: newId(bob), type: "Follow", actor: bob.iri, object: "https://plein.test/users/alice" }, bob);
    expect(res.status).toBe(202);
    const fetches = remote.received.filter((r) => r.method === "GET");
    expect(fetches.length).toBeGreaterThan(0);
    for (const f of fetches) expect(String(f.headers["user-agent"])).toContain(`Plein/${version}`);
  });
});
