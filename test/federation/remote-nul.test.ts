/**
 * U+0000 in remote content: PostgreSQL can store it neither in text nor in
 * jsonb. Whatever a remote server sends with it (an inbox activity, an actor
 * document, a fetched post) is accepted and stored without it, never a 500,
 * and an actor whose user name holds it is refused as unusable.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, publicNote, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let remote: FakeRemote;
let bob: FakeActor;

beforeAll(async () => {
  [plein, remote] = await Promise.all([startInboxInstance(), startFakeRemote()]);
  await plein.user("alice");
  bob = await remote.actor("bob", {
    document: {
      "@context": [...AS_CONTEXT, { schema: "http://schema.org#", PropertyValue: "schema:PropertyValue", value: "schema:value" }],
      name: "Bob\u0000 B", summary: "<p>bio\u0000</p>", attachment: [{ type: "PropertyValue", name: "Te\u0000am", value: "x\u0000y" }] },
  });
});

afterAll(async () => {
  await remote?.close();
  await plein?.close();
});

const postByIri = (iri: string) => plein.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
const hasNul = (value: unknown) => JSON.stringify(value).includes("\\u0000");

describe("NUL in remote content", () => {
  test("an inbox Create carrying it is accepted and stored without it, its actor too", async () => {
    const object = publicNote(bob, {
      name: "Ti\u0000tle", summary: "c\u0000w", content: "<p>a\u0000b</p>",
      attachment: [{ type: "Document", mediaType: "image/png", url: remote.url("/i.png"), name: "al\u0000t" }],
      tag: [{ type: "Hashtag", name: "#ta\u0000g" }],
    });
    const res = await deliver(plein.running.app, plein.origin, "/inbox",
      { "@context": AS_CONTEXT, id: newId(bob), type: "Create", actor: bob.iri, to: [PUBLIC], object }, bob);
    expect(res.status).toBe(202);
    await plein.drain();
    const post = await postByIri(object.id as string);
    expect(post).toMatchObject({ name: "Title", summary: "cw", content_html: "<p>ab</p>" });
    const attachment = await plein.db.selectFrom("post_attachments").selectAll().where("post_id", "=", post!.id).executeTakeFirst();
    expect(attachment?.description).toBe("alt");
    const actor = await plein.db.selectFrom("actors").selectAll().where("iri", "=", bob.iri).executeTakeFirstOrThrow();
    expect(actor.display_name).toBe("Bob B");
    expect(hasNul(actor)).toBe(false);
    expect(actor.fields).toEqual([{ name: "Team", value: "xy" }]);
  });

  test("a fetched post carrying it is stored without it", async () => {
    const id = remote.url("/notes/fetched-nul");
    remote.serve("/notes/fetched-nul", { body: { "@context": AS_CONTEXT, ...publicNote(bob, { id, content: "<p>f\u0000etched</p>" }) } });
    const post = await plein.running.deps.resolver.resolvePost(id);
    expect(post?.content_html).toBe("<p>fetched</p>");
  });

  test("an actor whose user name carries it is refused; its activity is dropped, not retried", async () => {
    const nul = await remote.actor("nul", { document: { preferredUsername: "n\u0000ul" } });
    const res = await deliver(plein.running.app, plein.origin, "/inbox",
      { "@context": AS_CONTEXT, id: newId(nul), type: "Create", actor: nul.iri, to: [PUBLIC], object: publicNote(nul) }, nul);
    expect(res.status).toBe(202);
    await plein.drain();
    expect(await plein.db.selectFrom("actors").select("id").where("iri", "=", nul.iri).executeTakeFirst()).toBeUndefined();
    expect(await plein.queued()).toBe(0);
  });
});
