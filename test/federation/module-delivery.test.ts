/**
 * A content module's own deliveries (src/modules/module.ts `deliver`): the
 * module queues a job in its transaction, the delivery worker asks the module
 * for the activity and sends it, signed by the module's chosen local sender,
 * to the remote recipients it names. A job the module cannot build any more,
 * or that names no module, is dropped without an error.
 */
import { Accept } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDeliveryJob } from "../../federation/send.ts";
import type { Actor } from "../../src/db/schema.ts";
import { enqueueDelivery } from "../../src/domain/jobs.ts";
import { findActorById } from "../../src/domain/remote-actors.ts";
import { newActivityIriOf } from "../../src/domain/urls.ts";
import type { ContentModule } from "../../src/modules/module.ts";
import { registerModule, unregisterModule } from "../../src/modules/registry.ts";
import { type FakeActor, type FakeRemote, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let remote: FakeRemote;
let alice: Actor;
let bob: FakeActor;
let bobRow: Actor;

/** A module that sends an Accept of `object` from a local actor to a remote one. */
const pingModule: ContentModule = {
  name: "pingtest",
  label: { en: "Ping", nl: "Ping" },
  objectType: "Note",
  generator: "urn:plein:module:pingtest",
  defaultOn: false,
  activityPub: {
    async deliver(db, payload) {
      if (payload.nothing === true) return null;
      const [sender, target] = await Promise.all([findActorById(db, String(payload.senderId)), findActorById(db, String(payload.targetId))]);
      if (!sender || !target) return null;
      return {
        senderId: sender.id,
        activity: new Accept({ id: new URL(String(payload.id)), actor: new URL(sender.iri), object: new URL(String(payload.object)), to: new URL(target.iri) }),
        recipients: [{ actorId: target.id, iri: target.iri, inbox: target.inbox_url, sharedInbox: target.shared_inbox_url, local: target.local }],
      };
    },
  },
};

beforeAll(async () => {
  registerModule(pingModule);
  plein = await startInboxInstance();
  remote = await startFakeRemote();
  alice = await plein.user("alice");
  bob = await remote.actor("bob");
  bobRow = (await plein.running.deps.resolver.resolveActor(bob.iri))!;
});

afterAll(async () => {
  unregisterModule(pingModule.name);
  await plein?.close();
  await remote?.close();
});

/** What reached bob's server (its shared inbox, or bob's own). */
const inboxPosts = () => remote.received.filter((r) => r.method === "POST" && [new URL(bob.inbox).pathname, "/inbox"].includes(r.path));

describe("module deliveries", () => {
  it("the module's activity goes to the recipients it names, signed by its sender", async () => {
    const id = newActivityIriOf(alice, "accept");
    await plein.db.transaction().execute((trx) => enqueueDelivery(trx, {
      type: "module", module: "pingtest", payload: { senderId: alice.id, targetId: bobRow.id, id, object: "https://example.org/thing" },
    }));
    expect(await plein.deliverQueued()).toBe(1);
    const sent = inboxPosts().map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(sent).toEqual([expect.objectContaining({ id, type: "Accept", actor: alice.iri, object: "https://example.org/thing" })]);
    const headers = inboxPosts()[0]!.headers;
    expect(headers.signature ?? headers["signature-input"]).toBeDefined();
  });

  it("a job the module has nothing for, or naming no module, is dropped", async () => {
    const before = inboxPosts().length;
    await plein.db.transaction().execute(async (trx) => {
      await enqueueDelivery(trx, { type: "module", module: "pingtest", payload: { nothing: true } });
      await enqueueDelivery(trx, { type: "module", module: "nosuchmodule", payload: {} });
    });
    expect(await plein.deliverQueued()).toBe(2);
    expect(inboxPosts().length).toBe(before);
  });

  it("a malformed module job is not acted on", () => {
    const origin = plein.origin;
    expect(parseDeliveryJob({ type: "module", module: "pingtest", payload: [1] }, origin)).toBeNull();
    expect(parseDeliveryJob({ type: "module", module: "", payload: {} }, origin)).toBeNull();
    expect(parseDeliveryJob({ type: "module", module: "pingtest" }, origin)).toBeNull();
    expect(parseDeliveryJob({ type: "module", module: "pingtest", payload: { a: 1 } }, origin))
      .toEqual({ type: "module", module: "pingtest", payload: { a: 1 } });
  });
});
