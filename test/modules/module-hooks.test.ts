/**
 * The hooks a content module uses to send its own activities, without the
 * core naming it: links among its object's tags, delivery jobs of its own
 * (built by `activityPub.deliver`), and an edit that the module tells other
 * servers of itself instead of the core's Update. A throw-away module
 * ("probe") stands in for a real one.
 */
import { Hashtag, Link, Mention, Note, Update } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderPost } from "../../federation/translate/outbound.ts";
import type { Actor, Post } from "../../src/db/schema.ts";
import { enqueueDelivery } from "../../src/domain/jobs.ts";
import { createLocalPost, editLocalPost } from "../../src/domain/posts/authoring.ts";
import { newActivityIriOf } from "../../src/domain/urls.ts";
import type { ContentModule } from "../../src/modules/module.ts";
import { registerModule, unregisterModule } from "../../src/modules/registry.ts";
import { type FakeActor, type FakeRemote, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let instance: InboxInstance;
let remote: FakeRemote;
let bob: FakeActor;
let alice: Actor;

const probe: ContentModule = {
  name: "probe",
  label: { en: "Probe", nl: "Probe" },
  objectType: "Note",
  generator: "urn:plein:test:probe",
  defaultOn: false,
  activityPub: {
    render: async (_db, post) => ({ tags: [new Link({ rels: ["up"], href: new URL(`${post.iri}/up`) })] }),
    deliver: async (payload, { sender, id }) => {
      if (typeof payload.text !== "string") return null;
      return {
        activity: new Update({
          id,
          actor: new URL(sender.iri),
          object: new Note({ id: new URL(`${id.href}/note`), attribution: new URL(sender.iri), content: payload.text }),
          to: new URL(bob.iri),
        }),
        recipients: [{ iri: bob.iri, inbox: bob.inbox, sharedInbox: null, local: false }],
      };
    },
  },
  queueEditDelivery: async (trx, post, editor) => {
    await enqueueDelivery(trx, {
      type: "module", module: "probe", senderId: editor.id, payload: { text: `edited ${post.id}` }, id: newActivityIriOf(editor, "probe"),
    }, editor.id);
  },
};

beforeAll(async () => {
  registerModule(probe);
  instance = await startInboxInstance();
  remote = await startFakeRemote();
  bob = await remote.actor("bob");
  alice = await instance.user("alice");
});

afterAll(async () => {
  unregisterModule("probe");
  await instance?.close();
  await remote?.close();
});

async function queuedJobs(): Promise<Array<Record<string, unknown>>> {
  const rows = await instance.db.selectFrom("queue_messages").select("payload").where("queue", "=", "deliveries").orderBy("id").execute();
  return rows.map((r) => r.payload as Record<string, unknown>);
}

const inboxPosts = () => remote.received.filter((r) => r.method === "POST" && r.path === new URL(bob.inbox).pathname);

describe("content module hooks", () => {
  it("adds the module's tags to the post's mentions and hashtags", async () => {
    const post: Post = await createLocalPost(instance.db, instance.origin, alice, {
      contentHtml: "<p>#plein</p>", tags: ["plein"], visibility: "public", module: "probe",
    });
    const ctx = instance.running.federation.federation.createContext(instance.origin, instance.running.deps);
    const object = await renderPost(ctx, post, alice, {
      mentions: [{ id: "1", iri: bob.iri, username: "bob", domain: new URL(bob.iri).host, local: false, url: null }],
      tags: ["plein"], attachments: [], group: null,
    });
    const tags = [];
    for await (const tag of object.getTags()) tags.push(tag);
    expect(tags.some((t) => t instanceof Mention)).toBe(true);
    expect(tags.some((t) => t instanceof Hashtag)).toBe(true);
    const link = tags.find((t) => t instanceof Link && !(t instanceof Mention) && !(t instanceof Hashtag)) as Link | undefined;
    expect(link?.href?.href).toBe(`${post.iri}/up`);
    expect(object.generatorIds.map((g) => g.href)).toEqual(["urn:plein:test:probe"]);
  });

  it("sends what the module builds for a job of its own, and nothing for a job it no longer answers", async () => {
    await instance.db.deleteFrom("queue_messages").where("queue", "=", "deliveries").execute();
    const before = inboxPosts().length;
    const id = newActivityIriOf(alice, "probe");
    await instance.db.transaction().execute(async (trx) => {
      await enqueueDelivery(trx, { type: "module", module: "probe", senderId: alice.id, payload: { text: "hallo" }, id }, alice.id);
      await enqueueDelivery(trx, { type: "module", module: "probe", senderId: alice.id, payload: {}, id: newActivityIriOf(alice, "probe") }, alice.id);
      await enqueueDelivery(trx, { type: "module", module: "nosuchmodule", senderId: alice.id, payload: { text: "x" }, id: newActivityIriOf(alice, "probe") }, alice.id);
    });
    expect(await instance.deliverQueued()).toBe(3);
    const sent = inboxPosts().slice(before);
    expect(sent).toHaveLength(1);
    const body = JSON.parse(sent[0]!.body) as { id: string; type: string; actor: string; object: { content: string } };
    expect(body).toMatchObject({ id, type: "Update", actor: alice.iri, object: { content: "hallo" } });
    // Signed by the sender, like every other delivery.
    expect(String(sent[0]!.headers["signature-input"] ?? sent[0]!.headers.signature)).toContain(`keyid="${alice.iri}`);
  });

  it("lets the module tell other servers of an edit instead of the core's Update", async () => {
    const post = await createLocalPost(instance.db, instance.origin, alice, { contentHtml: "<p>één</p>", visibility: "public" });
    await instance.db.deleteFrom("queue_messages").where("queue", "=", "deliveries").execute();
    await editLocalPost(instance.db, alice, post.id, { contentHtml: "<p>twee</p>" }, {
      queueDelivery: (trx, p) => probe.queueEditDelivery!(trx, p, alice),
    });
    expect(await queuedJobs()).toEqual([expect.objectContaining({ type: "module", module: "probe", payload: { text: `edited ${post.id}` } })]);
    // Without it, the core's Update goes out as before.
    await instance.db.deleteFrom("queue_messages").where("queue", "=", "deliveries").execute();
    await editLocalPost(instance.db, alice, post.id, { contentHtml: "<p>drie</p>" });
    expect(await queuedJobs()).toEqual([{ type: "post.update", postId: post.id }]);
  });
});
