/**
 * Silence: a silenced server federates, but its follow and join requests wait
 * for approval (even for open accounts and groups) and its posts stay out of
 * the public timelines. The same filter keeps blocked servers' posts (held
 * from before the block) and, in allowlist mode, unlisted servers' posts out.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { homeTimeline, publicTimeline } from "../../src/domain/timelines.ts";
import { follow } from "../../src/domain/follows.ts";
import { ANONYMOUS } from "../../src/domain/visibility.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";
import { policyOf, storeRemoteActor } from "../support/policy.ts";

let plein: InboxInstance;
let quiet: FakeRemote; // 127.0.0.9: silenced
let loud: FakeRemote; // 127.0.0.10: no rule
let alice: Actor;
let policy: ReturnType<typeof policyOf>;

beforeAll(async () => {
  [plein, quiet, loud] = await Promise.all([
    startInboxInstance(),
    startFakeRemote({ host: "127.0.0.9" }),
    startFakeRemote({ host: "127.0.0.10" }),
  ]);
  alice = await plein.user("alice");
  policy = policyOf(plein.db, plein.origin);
});

afterAll(async () => {
  await Promise.all([quiet?.close(), loud?.close()]);
  await plein?.close();
});

beforeEach(async () => {
  await policy.mode("blocklist");
  await policy.rule("127.0.0.9", "silence");
});

async function send(activity: Record<string, unknown>, by: FakeActor, inbox = "/inbox"): Promise<number> {
  const res = await deliver(plein.running.app, plein.origin, inbox, { "@context": AS_CONTEXT, ...activity }, by);
  await plein.drain();
  return res.status;
}

const actorRow = (iri: string) => plein.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirstOrThrow();
const accepts = async (followerId: string) => (await plein.db.selectFrom("queue_messages").select("payload")
  .where("queue", "=", DELIVERY_QUEUE).execute())
  .filter((r) => (r.payload as { type?: string; followerId?: string }).type === "follow.accept"
    && (r.payload as { followerId?: string }).followerId === followerId).length;

describe("follow and join requests from a silenced server", () => {
  test("a Follow of an open account waits for approval (no Accept); the same from a server without a rule is accepted", async () => {
    const hush = await quiet.actor("hush");
    const shout = await loud.actor("shout");
    expect(await send({ id: newId(hush), type: "Follow", actor: hush.iri, object: alice.iri }, hush)).toBe(202);
    expect(await send({ id: newId(shout), type: "Follow", actor: shout.iri, object: alice.iri }, shout)).toBe(202);
    const [hushRow, shoutRow] = [await actorRow(hush.iri), await actorRow(shout.iri)];
    const state = async (id: string) => (await plein.db.selectFrom("follows").select("state")
      .where("follower_id", "=", id).where("followee_id", "=", alice.id).executeTakeFirstOrThrow()).state;
    expect(await state(hushRow.id)).toBe("pending");
    expect(await accepts(hushRow.id)).toBe(0);
    expect(await state(shoutRow.id)).toBe("accepted");
    expect(await accepts(shoutRow.id)).toBe(1);
  });

  test("a request to join an open group waits for approval; so it does in allowlist mode, where a silenced server is listed", async () => {
    const group = await createGroup(plein.db, plein.origin, alice, { name: "open_club", joinMode: "open", modules: defaultModules() });
    const hush = await quiet.actor("hush2");
    const shout = await loud.actor("shout2");
    const join = (by: FakeActor) => send({ id: newId(by), type: "Follow", actor: by.iri, object: group.actor.iri }, by);
    const membership = async (iri: string) => (await plein.db.selectFrom("memberships").select("state")
      .where("group_id", "=", group.actor.id).where("member_id", "=", (await actorRow(iri)).id).executeTakeFirstOrThrow()).state;
    expect(await join(hush)).toBe(202);
    expect(await join(shout)).toBe(202);
    expect(await membership(hush.iri)).toBe("pending");
    expect(await membership(shout.iri)).toBe("member");

    await policy.mode("allowlist");
    const hush3 = await quiet.actor("hush3");
    expect(await join(hush3)).toBe(202);
    expect(await membership(hush3.iri)).toBe("pending");
    expect(await send({ id: newId(shout), type: "Follow", actor: shout.iri, object: alice.iri }, shout)).toBe(403); // unlisted
  });
});

describe("public timelines", () => {
  const hosts = ["quiet.example.nl", "sub.quiet.example.nl", "loud.example.nl", "blocked.example", "other.example"] as const;
  const authors = new Map<string, Actor>();
  const postIds = new Map<string, string>();
  let local: string;

  beforeAll(async () => {
    for (const host of hosts) {
      const actor = await storeRemoteActor(plein.db, plein.origin.host, `https://${host}/users/someone`);
      authors.set(host, actor);
      const row = await plein.db.insertInto("posts").values({
        iri: `https://${host}/notes/1`, actor_id: actor.id, local: false, type: "Note", visibility: "public",
        content_html: `<p>from ${host}</p>`, published_at: new Date(),
      }).returning("id").executeTakeFirstOrThrow();
      postIds.set(host, row.id);
    }
    local = (await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>local</p>", visibility: "public" })).id;
  });

  const shown = async (localOnly = false) => {
    const posts = await publicTimeline(plein.db, ANONYMOUS, { limit: 40 }, localOnly ? "local" : "all");
    return [...postIds].filter(([, id]) => posts.some((p) => p.id === id)).map(([host]) => host)
      .concat(posts.some((p) => p.id === local) ? ["local"] : []);
  };

  test("leave out silenced servers (*.domain covering the domain and its subdomains) and blocked ones", async () => {
    await policy.rule("*.quiet.example.nl", "silence");
    await policy.rule("blocked.example", "block");
    expect((await shown()).sort()).toEqual(["local", "loud.example.nl", "other.example"]);
    expect(await shown(true)).toEqual(["local"]);
    await policy.unrule("*.quiet.example.nl");
    await policy.unrule("blocked.example");
    expect((await shown()).sort()).toEqual(["blocked.example", "local", "loud.example.nl", "other.example", "quiet.example.nl", "sub.quiet.example.nl"]);
  });

  test("in allowlist mode show only allowed servers, an explicit block beating a wildcard allow; open mode shows all", async () => {
    await policy.mode("allowlist");
    await policy.rule("*.example.nl", "allow");
    await policy.rule("sub.quiet.example.nl", "block");
    expect((await shown()).sort()).toEqual(["local", "loud.example.nl", "quiet.example.nl"]);
    await policy.mode("open");
    expect((await shown()).length).toBe(hosts.length + 1);
    await policy.unrule("*.example.nl");
    await policy.unrule("sub.quiet.example.nl");
  });

  test("a silenced account's posts still reach the home timeline of those who follow it", async () => {
    await policy.rule("loud.example.nl", "silence");
    const reader = await plein.user("reader");
    const author = authors.get("loud.example.nl")!;
    await plein.db.insertInto("follows").values({ follower_id: reader.id, followee_id: author.id, state: "accepted", activity_iri: "https://plein.test/f/1" }).execute();
    const home = await homeTimeline(plein.db, reader.id, { limit: 40 });
    expect(home.map((p) => p.id)).toContain(postIds.get("loud.example.nl"));
    expect(await shown()).not.toContain("loud.example.nl");
    await policy.unrule("loud.example.nl");
    // and the follow function refuses nothing for silenced servers: only blocked ones
    await expect(follow(plein.db, plein.origin, reader, authors.get("other.example")!)).resolves.toMatchObject({ state: "pending" });
  });
});
