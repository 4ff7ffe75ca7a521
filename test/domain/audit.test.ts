/**
 * The delivery audit's domain rules (src/domain/audit.ts): what counts as
 * closed-group content, who reads which records, filters and paging, and
 * that records are only ever added.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join as joinPath } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/database.ts";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import {
  type AuditedActivity,
  auditFilter,
  auditSubjectOf,
  groupDeliveryAudit,
  instanceDeliveryAudit,
  listDeliveryRecords,
  mayReadGroupAudit,
  recordDeliveries,
} from "../../src/domain/audit.ts";
import { DomainError } from "../../src/domain/errors.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { join, setRole } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

const ORIGIN = new URL("https://plein.test");

let handle: TestDatabase;
let db: Db;
let owner: Actor, admin: Actor, moderator: Actor, member: Actor, outsider: Actor, instanceAdmin: Actor;
let closed: GroupView, other: GroupView, open: GroupView;

const person = (username: string, isAdmin = false) =>
  createUser(db, ORIGIN, { username, email: `${username}@plein.test`, password: "correct horse battery", admin: isAdmin });

function activity(group: GroupView, n: number): AuditedActivity {
  return {
    groupId: group.actor.id, groupIri: group.actor.iri, objectIri: `${ORIGIN.origin}/notes/${group.actor.username}-${n}`,
    activityId: `${ORIGIN.origin}/activities/${group.actor.username}-${n}`, activityType: "Announce",
  };
}

beforeAll(async () => {
  handle = await openTestDatabase();
  db = handle.db;
  [owner, admin, moderator, member, outsider, instanceAdmin] = await Promise.all([
    person("olga"), person("adam"), person("mona"), person("mark"), person("otto"), person("irene", true),
  ]);
  closed = await createGroup(db, ORIGIN, owner, { name: "closed", visibility: "closed", joinMode: "open", modules: [] });
  other = await createGroup(db, ORIGIN, outsider, { name: "other", visibility: "secret", joinMode: "open", modules: [] });
  open = await createGroup(db, ORIGIN, owner, { name: "open", visibility: "public", joinMode: "open", modules: [] });
  for (const a of [admin, moderator, member]) await join(db, ORIGIN, closed, a);
  await setRole(db, closed, owner, admin, "admin");
  await setRole(db, closed, owner, moderator, "moderator");

  await recordDeliveries(db, activity(closed, 1), [
    { inbox: "https://b.example/inbox", result: "queued" },
    { inbox: "https://c.example/inbox", result: "refused", detail: "blocked" },
  ]);
  await recordDeliveries(db, activity(closed, 1), [{ inbox: "https://b.example/inbox", result: "delivered", attempt: 1 }]);
  await recordDeliveries(db, activity(other, 1), [{ inbox: "https://b.example/inbox", result: "queued" }]);
});

afterAll(async () => {
  await handle?.close();
});

describe("what is audited", () => {
  it("a closed group's posts are; a public group's and posts outside groups are not", async () => {
    const inClosed = await createLocalPost(db, ORIGIN, owner, { contentHtml: "<p>binnen</p>", visibility: "public", groupId: closed.actor.id });
    const inOpen = await createLocalPost(db, ORIGIN, owner, { contentHtml: "<p>open</p>", visibility: "public", groupId: open.actor.id });
    const alone = await createLocalPost(db, ORIGIN, owner, { contentHtml: "<p>los</p>", visibility: "followers" });
    expect(await auditSubjectOf(db, inClosed)).toEqual({ groupId: closed.actor.id, groupIri: closed.actor.iri, objectIri: inClosed.iri });
    expect(await auditSubjectOf(db, inOpen)).toBeNull();
    expect(await auditSubjectOf(db, alone)).toBeNull();
  });
});

describe("who reads the audit", () => {
  const page = { limit: 20 };

  it("a group's owner and admins read its records, newest first, and only its own", async () => {
    for (const reader of [owner, admin]) {
      const records = await groupDeliveryAudit(db, reader, closed.actor.id, {}, page);
      expect(records.map((r) => [r.server, r.result])).toEqual([["b.example", "delivered"], ["c.example", "refused"], ["b.example", "queued"]]);
      expect(records.every((r) => r.group_id === closed.actor.id && r.object_iri === activity(closed, 1).objectIri)).toBe(true);
    }
  });

  it("its moderators, members and anyone else are refused", async () => {
    for (const reader of [moderator, member, outsider]) {
      expect(await mayReadGroupAudit(db, reader, closed.actor.id)).toBe(false);
      await expect(groupDeliveryAudit(db, reader, closed.actor.id, {}, page)).rejects.toMatchObject({ kind: "forbidden" });
    }
    // The owner of one group reads nothing of another's.
    await expect(groupDeliveryAudit(db, owner, other.actor.id, {}, page)).rejects.toBeInstanceOf(DomainError);
  });

  it("an instance admin reads every group's records; no one else reads the whole audit", async () => {
    expect(await mayReadGroupAudit(db, instanceAdmin, other.actor.id)).toBe(true);
    const all = await instanceDeliveryAudit(db, instanceAdmin, {}, page);
    expect(new Set(all.map((r) => r.group_id))).toEqual(new Set([closed.actor.id, other.actor.id]));
    for (const reader of [owner, admin, outsider]) {
      await expect(instanceDeliveryAudit(db, reader, {}, page)).rejects.toMatchObject({ kind: "forbidden" });
    }
  });

  it("filters by group, server and object, and pages by id", async () => {
    const byServer = await listDeliveryRecords(db, auditFilter({ server: "B.Example" }), page);
    expect(byServer.map((r) => r.group_id).sort()).toEqual([closed.actor.id, closed.actor.id, other.actor.id].sort());
    const both = await listDeliveryRecords(db, auditFilter({ groupId: other.actor.id, server: "b.example" }), page);
    expect(both).toHaveLength(1);
    const byObject = await listDeliveryRecords(db, auditFilter({ objectIri: activity(closed, 1).objectIri }), page);
    expect(byObject).toHaveLength(3);
    const first = await listDeliveryRecords(db, {}, { limit: 2 });
    const next = await listDeliveryRecords(db, {}, { limit: 2, maxId: first.at(-1)!.id });
    expect(next.every((r) => BigInt(r.id) < BigInt(first.at(-1)!.id))).toBe(true);
    expect([...first, ...next].map((r) => r.id)).toEqual((await listDeliveryRecords(db, {}, { limit: 4 })).map((r) => r.id));
  });

  it("refuses malformed filters", () => {
    for (const input of [
      { groupId: "1; drop table delivery_audit" }, { groupId: "-1" }, { server: "" }, { server: "a b" }, { server: "evil.example/path" },
      { server: "x".repeat(300) }, { server: "user@host" }, { objectIri: "not a url" }, { objectIri: `https://a.example/${"x".repeat(3000)}` },
    ]) {
      expect(() => auditFilter(input), JSON.stringify(input).slice(0, 80)).toThrow(DomainError);
    }
  });
});

describe("a large fan-out", () => {
  it("records the queued deliveries to 10,000 inboxes (more rows than one statement's parameters allow)", async () => {
    const big = activity(closed, 10_000);
    const events = Array.from({ length: 10_000 }, (_, i) => ({ inbox: `https://s${i}.example/users/m${i}/inbox`, result: "queued" as const }));
    await recordDeliveries(db, big, events);
    const { rows: [row] } = await sql<{ n: string }>`select count(*) as n from delivery_audit where activity_id = ${big.activityId}`.execute(db);
    expect(Number(row!.n)).toBe(10_000);
  });
});

describe("records are append-only", () => {
  it("the database refuses to change, delete or truncate them", async () => {
    const before = await db.selectFrom("delivery_audit").selectAll().orderBy("id").execute();
    expect(before.length).toBeGreaterThan(0);
    await expect(db.updateTable("delivery_audit").set({ result: "delivered" }).where("result", "=", "refused").execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom("delivery_audit").execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate delivery_audit`.execute(db)).rejects.toThrow(/append-only/);
    expect(await db.selectFrom("delivery_audit").selectAll().orderBy("id").execute()).toEqual(before);
  });

  it("no code changes or deletes them: a later result is a new record", () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = joinPath(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith(".ts")) sources.push(path);
      }
    };
    for (const dir of ["src", "federation"]) walk(dir);
    const writers = sources.filter((path) => /(updateTable|deleteFrom)\(\s*["']delivery_audit["']|(update|delete\s+from|truncate)\s+delivery_audit/i
      .test(readFileSync(path, "utf8")));
    expect(writers).toEqual([]);
  });
});
