/**
 * The delivery audit through Plein's API: /groups/:id/audit for a group's
 * owner and admins, /admin/audit for the instance's admins. Every role,
 * filters and pages, and hostile parameters (a 4xx with a JSON error, never
 * a 500: test/api/support.ts checks every answer).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { recordDeliveries } from "../../src/domain/audit.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { join, setRole } from "../../src/domain/membership.ts";
import { type Api, startApi, type User } from "./support.ts";

const V1 = "/api/plein/v1";
let api: Api;
let chief: Actor;
let owner: User, admin: User, moderator: User, member: User, outsider: User;
let closed: GroupView, secret: GroupView;
const tokens: Record<string, string> = {};

interface Record_ {
  id: string;
  group_id: string;
  object_uri: string;
  server: string;
  result: string;
  status_code: number | null;
  attempt: number | null;
}

const object = (group: GroupView, n: number) => `https://plein.test/notes/${group.actor.username}-${n}`;

beforeAll(async () => {
  api = await startApi();
  const { db, config } = api.running.deps;
  chief = await createUser(db, config.origin, { username: "chief", email: "chief@plein.test", password: "correct horse battery", admin: true });
  [owner, admin, moderator, member, outsider] = await Promise.all([api.user("olga"), api.user("adam"), api.user("mona"), api.user("mark"), api.user("otto")]);
  closed = await createGroup(db, config.origin, owner.actor, { name: "raad", visibility: "closed", joinMode: "open", modules: [] });
  secret = await createGroup(db, config.origin, outsider.actor, { name: "geheim", visibility: "secret", joinMode: "invite", modules: [] });
  for (const u of [admin, moderator, member]) await join(db, config.origin, closed, u.actor);
  await setRole(db, closed, owner.actor, admin.actor, "admin");
  await setRole(db, closed, owner.actor, moderator.actor, "moderator");
  tokens.chief = await api.token(chief, ["read", "admin:read"]);
  tokens.chiefNoAdminScope = await api.token(chief, ["read"]);
  tokens.outsiderAdminScope = await api.token(outsider, ["read", "admin:read"]);

  // Five posts of the closed group, each queued for and delivered to b.example; one refused for c.example.
  for (let n = 1; n <= 5; n++) {
    const activity = {
      groupId: closed.actor.id, groupIri: closed.actor.iri, objectIri: object(closed, n),
      activityId: `https://plein.test/activities/${n}`, activityType: "Announce",
    };
    await recordDeliveries(db, activity, [{ inbox: "https://b.example/inbox", result: "queued" }]);
    await recordDeliveries(db, activity, [{ inbox: "https://b.example/inbox", result: "delivered", attempt: 1 }]);
  }
  await recordDeliveries(db, {
    groupId: closed.actor.id, groupIri: closed.actor.iri, objectIri: object(closed, 1), activityId: "https://plein.test/activities/1", activityType: "Announce",
  }, [{ inbox: "https://c.example/users/carl/inbox", result: "refused", detail: "blocked" }]);
  await recordDeliveries(db, {
    groupId: secret.actor.id, groupIri: secret.actor.iri, objectIri: object(secret, 1), activityId: "https://plein.test/activities/s1", activityType: "Create",
  }, [{ inbox: "https://b.example/inbox", result: "failed", statusCode: 410, attempt: 1 }]);
});

afterAll(async () => {
  await api?.close();
});

const get = (path: string, token?: string) => api.request<Record_[]>("GET", `${V1}${path}`, token === undefined ? {} : { token });

describe("who reads a group's audit", () => {
  test("its owner and admins, and the instance's admins, read every record of the group, newest first", async () => {
    for (const token of [owner.token, admin.token, tokens.chief!]) {
      const res = await get(`/groups/${closed.actor.id}/audit?limit=40`, token);
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(11);
      expect(res.body.every((r) => r.group_id === closed.actor.id)).toBe(true);
      const ids = res.body.map((r) => BigInt(r.id));
      expect([...ids].sort((a, b) => (a < b ? 1 : -1))).toEqual(ids);
      expect(res.body[0]).toMatchObject({ server: "c.example", result: "refused", object_uri: object(closed, 1) });
    }
  });

  test("its moderators and members, and anyone else, are refused; a secret group is absent to outsiders", async () => {
    for (const token of [moderator.token, member.token, outsider.token]) {
      const res = await get(`/groups/${closed.actor.id}/audit`, token);
      expect(res.status).toBe(403);
    }
    expect((await get(`/groups/${closed.actor.id}/audit`)).status).toBe(401);
    const absent = await get(`/groups/999999999/audit`, owner.token);
    expect(absent.status).toBe(404);
    const hidden = await get(`/groups/${secret.actor.id}/audit`, owner.token);
    expect(hidden.status).toBe(404);
    expect(hidden.text).toBe(absent.text);
    // The secret group's owner reads its own.
    const own = await get(`/groups/${secret.actor.id}/audit`, outsider.token);
    expect(own.body.map((r) => [r.server, r.result, r.status_code])).toEqual([["b.example", "failed", 410]]);
  });
});

describe("the instance's audit", () => {
  test("is for the instance's admins with an admin:read token only", async () => {
    expect((await get("/admin/audit")).status).toBe(401);
    for (const token of [owner.token, outsider.token, tokens.outsiderAdminScope!, tokens.chiefNoAdminScope!]) {
      expect((await get("/admin/audit", token)).status).toBe(403);
    }
    const all = await get("/admin/audit?limit=40", tokens.chief);
    expect(all.status).toBe(200);
    expect(new Set(all.body.map((r) => r.group_id))).toEqual(new Set([closed.actor.id, secret.actor.id]));
  });

  test("filters by group, server and object", async () => {
    const bySecret = await get(`/admin/audit?group=${secret.actor.id}`, tokens.chief);
    expect(bySecret.body.map((r) => r.object_uri)).toEqual([object(secret, 1)]);
    const byServer = await get("/admin/audit?server=C.EXAMPLE&limit=40", tokens.chief);
    expect(byServer.body.map((r) => [r.server, r.result])).toEqual([["c.example", "refused"]]);
    const byObject = await get(`/groups/${closed.actor.id}/audit?object=${encodeURIComponent(object(closed, 3))}`, owner.token);
    expect(byObject.body.map((r) => r.result)).toEqual(["delivered", "queued"]);
    // A group's audit never reaches past the group, whatever the filters say.
    const crossed = await get(`/groups/${closed.actor.id}/audit?object=${encodeURIComponent(object(secret, 1))}&group=${secret.actor.id}`, owner.token);
    expect(crossed.body).toEqual([]);
  });

  test("pages by id with a Link header", async () => {
    const first = await get(`/groups/${closed.actor.id}/audit?limit=4`, owner.token);
    expect(first.body).toHaveLength(4);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1];
    expect(next).toBeDefined();
    const second = await api.request<Record_[]>("GET", next!, { token: owner.token });
    expect(second.body).toHaveLength(4);
    expect(BigInt(second.body[0]!.id)).toBeLessThan(BigInt(first.body.at(-1)!.id));
  });
});

describe("hostile parameters", () => {
  test.each([
    "limit=abc", "limit=1e400", "max_id=x", "max_id=-1", "since_id=1%3Bdrop", "min_id=99999999999999999999999999",
    "server=", "server=a%20b", "server=evil.example%2Fpath", "server=a&server=b", `server=${"x".repeat(300)}`, "server=user%40host",
    "object=not-a-url", `object=https://a.example/${"x".repeat(3000)}`, "object=a&object=b",
    "group=abc", "group=1%27%20or%201%3D1", "group[]=1",
  ])("/admin/audit?%s is a 4xx", async (query) => {
    const res = await get(`/admin/audit?${query}`, tokens.chief);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  test.each(["server=a%20b", "object=nope", "limit=x", "max_id=z"])("/groups/:id/audit?%s is a 4xx", async (query) => {
    const res = await get(`/groups/${closed.actor.id}/audit?${query}`, owner.token);
    expect(res.status).toBe(422);
  });

  test("a malformed group id in the path is the one 404", async () => {
    for (const id of ["abc", "-1", "1.5", "%27", "9".repeat(40)]) {
      expect((await get(`/groups/${id}/audit`, owner.token)).status).toBe(404);
    }
  });

  test("the OpenAPI document describes both paths", async () => {
    const doc = await api.request<{ paths: Record<string, Record<string, unknown>> }>("GET", `${V1}/openapi.json`);
    expect(Object.keys(doc.body.paths["/groups/{id}/audit"] ?? {})).toEqual(["get"]);
    expect(Object.keys(doc.body.paths["/admin/audit"] ?? {})).toEqual(["get"]);
  });
});
