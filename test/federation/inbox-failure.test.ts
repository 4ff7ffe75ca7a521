/**
 * An inbox activity whose handling meets a failure of our own (here: the
 * database refuses a write half-way, as when it goes down) is not skipped:
 * nothing of it is stored, it is not recorded as processed, and Fedify's
 * queue retries it; once the database answers again it is handled whole.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let remote: FakeRemote;
let alice: Actor;
let bob: FakeActor;
let mira: FakeActor;

/** Makes every write to `table` fail while the switch is on (a trigger), as a database outage would. */
async function installFailSwitch(): Promise<void> {
  await sql`create table test_fail_switch (on_table text primary key)`.execute(plein.db);
  await sql.raw(`create function test_fail() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from test_fail_switch where on_table = TG_TABLE_NAME) then
        raise exception 'test: % is unavailable', TG_TABLE_NAME;
      end if;
      return new;
    end $$`).execute(plein.db);
  for (const table of ["actors", "posts"]) {
    await sql.raw(`create trigger test_fail_${table} before insert or update on ${table}
      for each row execute function test_fail()`).execute(plein.db);
  }
}

const failWrites = (table: string) => sql`insert into test_fail_switch values (${table})`.execute(plein.db);
const heal = () => sql`delete from test_fail_switch`.execute(plein.db);

beforeAll(async () => {
  [plein, remote] = await Promise.all([startInboxInstance(), startFakeRemote()]);
  alice = await plein.user("alice");
  bob = await remote.actor("bob");
  mira = await remote.actor("mira");
  await installFailSwitch();
});

afterAll(async () => {
  await remote?.close();
  await plein?.close();
});

const postByIri = (iri: string) => plein.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
const processed = (iri: string) => plein.db.selectFrom("processed_activities").select("activity_iri")
  .where("activity_iri", "=", iri).executeTakeFirst();

/** A direct message from bob to alice and mira (whom Plein does not know yet). */
function directMessage() {
  const noteId = newId(bob, "notes");
  return {
    noteId,
    activity: {
      "@context": AS_CONTEXT,
      id: newId(bob),
      type: "Create",
      actor: bob.iri,
      to: [alice.iri, mira.iri],
      object: {
        id: noteId, type: "Note", attributedTo: bob.iri, to: [alice.iri, mira.iri],
        content: "<p>@alice @mira vertrouwelijk</p>", published: "2024-01-01T00:00:00Z",
        tag: [{ type: "Mention", href: alice.iri, name: "@alice" }, { type: "Mention", href: mira.iri, name: "@mira" }],
      },
    },
  };
}

async function send(activity: Record<string, unknown>): Promise<void> {
  const res = await deliver(plein.running.app, plein.origin, "/inbox", activity, bob);
  expect(res.status).toBe(202);
}

describe("a failure of our own during inbox processing", () => {
  test("while a mentioned actor is stored: nothing is stored, nothing recorded, and the retry stores the message whole", async () => {
    // bob is known (stored) before the outage; mira, only mentioned, is not.
    await send({ "@context": AS_CONTEXT, id: newId(bob), type: "Follow", actor: bob.iri, object: alice.iri });
    await plein.drain();
    await failWrites("actors");
    const { noteId, activity } = directMessage();
    await send(activity);
    await plein.drain();

    expect(await postByIri(noteId)).toBeUndefined();
    expect(await processed(activity.id)).toBeUndefined();
    expect(await plein.queued()).toBeGreaterThan(0); // Fedify's retry of the activity

    await heal();
    await plein.drain();
    const post = await postByIri(noteId);
    expect(post?.visibility).toBe("direct");
    const mentioned = await plein.db.selectFrom("post_mentions").innerJoin("actors", "actors.id", "post_mentions.actor_id")
      .select("actors.iri").where("post_mentions.post_id", "=", post!.id).execute();
    expect(mentioned.map((m) => m.iri).sort()).toEqual([alice.iri, mira.iri].sort());
    expect(await processed(activity.id)).toBeDefined();
  });

  test("while the post itself is stored: the same, and the activity is stored once", async () => {
    await failWrites("posts");
    const { noteId, activity } = directMessage();
    await send(activity);
    await plein.drain();
    expect(await postByIri(noteId)).toBeUndefined();
    expect(await processed(activity.id)).toBeUndefined();

    await heal();
    await plein.drain();
    expect(await postByIri(noteId)).toBeDefined();
    expect(await processed(activity.id)).toBeDefined();
    // Delivered again by the sender: still one post.
    await send(activity);
    await plein.drain();
    const rows = await plein.db.selectFrom("posts").select("id").where("iri", "=", noteId).execute();
    expect(rows).toHaveLength(1);
  });
});
