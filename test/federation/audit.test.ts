/**
 * The delivery audit between four real instances over HTTPS. A hosts a
 * closed group (olga owns it, alice posts in it); bob on B is a member;
 * carol on C follows alice but is no member; dave on D joined before A's
 * federation policy blocked D. A's audit must list B as the one server that
 * received the group's post, D only as refused, C not at all; C and D
 * receive nothing. A public group's posts are not audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdminCommand } from "../../src/cli/admin-commands.ts";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";
import { expectStatus, followAndWait } from "../support/mastodon.ts";
import { createGroup, groupOn, joinGroup, type PleinGroup, postInGroup, waitForGroupPost, waitForMembership } from "../support/plein.ts";

let instances: TestInstance[];
let A: TestInstance, B: TestInstance, C: TestInstance, D: TestInstance;
let root: TestUser; // ria, A's instance admin
let olga: TestUser; // owns the groups on A
let alice: TestUser; // a member on A
let bob: TestUser, carol: TestUser, dave: TestUser;
let closed: PleinGroup, open: PleinGroup;
let closedOnB: PleinGroup, openOnB: PleinGroup;

const V1 = "/api/plein/v1";
const SLOW = 120_000;

interface AuditRecord {
  server: string;
  inbox: string;
  result: string;
  object_uri: string;
  activity_id: string;
  activity_type: string;
  group_id: string;
}

const storedPost = (instance: TestInstance, iri: string) =>
  instance.db.selectFrom("posts").select("id").where("iri", "=", iri).executeTakeFirst();

async function audit(user: TestUser, path: string, query: Record<string, string> = {}): Promise<AuditRecord[]> {
  return expectStatus(await user.api.get<AuditRecord[]>(`${V1}${path}`, { limit: 40, ...query }), 200, `GET ${path}`);
}

beforeAll(async () => {
  instances = await startInstances(4);
  [A, B, C, D] = instances as [TestInstance, TestInstance, TestInstance, TestInstance];
  root = await A.createUser("ria", { admin: true, scopes: ["read", "write", "admin:read", "admin:write"] });
  olga = await A.createUser("olga");
  alice = await A.createUser("alice");
  bob = await B.createUser("bob");
  carol = await C.createUser("carol");
  dave = await D.createUser("dave");

  closed = await createGroup(olga, { name: "raad", visibility: "closed", join_mode: "open" });
  open = await createGroup(olga, { name: "plein", visibility: "public", join_mode: "open" });
  await joinGroup(alice, closed);
  closedOnB = await groupOn(bob, `raad@${A.host}`);
  openOnB = await groupOn(bob, `plein@${A.host}`);
  const closedOnD = await groupOn(dave, `raad@${A.host}`);
  await joinGroup(bob, closedOnB);
  await joinGroup(bob, openOnB);
  await joinGroup(dave, closedOnD);
  await waitForMembership(bob, closedOnB.id, "member");
  await waitForMembership(bob, openOnB.id, "member");
  await waitForMembership(dave, closedOnD.id, "member");
  await followAndWait(carol, alice.handle);
  await followAndWait(dave, alice.handle);
  // From now on A federates with D no more; dave's membership stays on A's books.
  expectStatus(await root.api.put(`${V1}/federation/domains/${D.host}`, { action: "block" }), 200, "block D");
  await settle(instances);
}, SLOW);

afterAll(async () => {
  await closeInstances(instances);
});

describe("A's delivery audit", { timeout: SLOW }, () => {
  let postUri: string;

  beforeAll(async () => {
    const post = await postInGroup(alice, closed.id, { text: "Vertrouwelijk: het advies over de begroting" });
    expect(post.visibility).toBe("group");
    postUri = post.uri;
    await waitForGroupPost(bob, closedOnB.id, post.uri);
    await settle(instances);
  }, SLOW);

  it("lists B as the one server that received the group's post, D as refused, C not at all", async () => {
    const records = await audit(olga, `/groups/${closed.id}/audit`, { object: postUri });
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.object_uri === postUri && r.group_id === closed.id && r.activity_type === "Announce")).toBe(true);
    const servers = (result: string) => [...new Set(records.filter((r) => r.result === result).map((r) => r.server))].sort();
    expect(servers("delivered")).toEqual([B.host]);
    expect(servers("queued")).toEqual([B.host]);
    expect(servers("refused")).toEqual([D.host]);
    expect(records.map((r) => r.result).sort()).toEqual(["delivered", "queued", "refused"]);
    expect(records.some((r) => r.server === C.host)).toBe(false);
    // Newest first: the outcome follows the queuing.
    expect(records.findIndex((r) => r.result === "delivered")).toBeLessThan(records.findIndex((r) => r.result === "queued"));
  });

  it("C and D received nothing of it", async () => {
    expect(await storedPost(B, postUri)).toBeDefined();
    expect(await storedPost(C, postUri)).toBeUndefined();
    expect(await storedPost(D, postUri)).toBeUndefined();
  });

  it("the instance admin reads the same, filtered by group and server", async () => {
    const all = await audit(root, "/admin/audit", { group: closed.id, object: postUri });
    expect(all.map((r) => [r.server, r.result])).toEqual((await audit(olga, `/groups/${closed.id}/audit`, { object: postUri })).map((r) => [r.server, r.result]));
    const onD = await audit(root, "/admin/audit", { server: D.host });
    expect(onD.length).toBeGreaterThan(0);
    expect(onD.every((r) => r.result === "refused")).toBe(true);
  });

  it("a member who is no admin, and B's people, read none of it", async () => {
    expect((await alice.api.get(`${V1}/groups/${closed.id}/audit`)).status).toBe(403);
    expect((await alice.api.get(`${V1}/admin/audit`)).status).toBe(403);
  });

  it("plein audit GROUP prints the records, newest first", async () => {
    const config = A.running.config;
    const result = await runAdminCommand(A.db, config, ["audit", "raad", "--object", postUri]);
    expect(result.code).toBe(0);
    const lines = result.output.split("\n");
    expect(lines[0]).toMatch(/^Deliveries of group raad \(/);
    const body = lines.slice(1);
    expect(body).toHaveLength(3);
    expect(body[body.length - 1]).toMatch(new RegExp(`queued\\s+${B.host.replaceAll(".", "\\.")}\\s+Announce of ${postUri}`));
    expect(body.filter((l) => /\bdelivered\b/.test(l)).map((l) => l.includes(B.host))).toEqual([true]);
    expect(body.filter((l) => /\brefused\b/.test(l)).map((l) => l.includes(D.host))).toEqual([true]);
    expect(result.output).not.toContain(C.host);
    const limited = await runAdminCommand(A.db, config, ["audit", "raad", "--limit", "1"]);
    expect(limited.output.split("\n")).toHaveLength(3); // heading, one record, where the next page starts
    expect(limited.output).toMatch(/more: --before \d+$/);
  });

  it("plein audit refuses what it cannot answer", async () => {
    const config = A.running.config;
    expect(await runAdminCommand(A.db, config, ["audit", "nogroup"])).toEqual({ code: 1, output: 'error: No group "nogroup"' });
    expect(await runAdminCommand(A.db, config, ["audit", "alice"])).toEqual({ code: 1, output: 'error: No group "alice"' });
    for (const argv of [[], ["raad", "plein"], ["raad", "--limit", "0"], ["raad", "--limit", "x"], ["raad", "--before", "x"], ["--all", "raad"], ["raad", "--bogus"]]) {
      expect((await runAdminCommand(A.db, config, ["audit", ...argv])).code, argv.join(" ")).toBe(2);
    }
    expect((await runAdminCommand(A.db, config, ["audit", "raad", "--server", "a b"])).code).toBe(1);
  });

  it("a module's deliveries of closed content are audited too: a wiki page and its revision", async () => {
    const page = await postInGroup(alice, closed.id, { module: "wiki", title: "Werkafspraken", text: "Eerste versie" });
    await waitForGroupPost(bob, closedOnB.id, page.uri);
    await settle(instances);
    const delivered = async () => new Set((await audit(olga, `/groups/${closed.id}/audit`, { object: page.uri }))
      .filter((r) => r.result === "delivered").map((r) => `${r.server} ${r.activity_id}`));
    const before = await delivered();
    expect([...before].map((d) => d.split(" ")[0])).toEqual([B.host]);
    expectStatus(await alice.api.patch(`${V1}/posts/${page.id}`, { text: "Tweede versie" }), 200, "edit the page");
    await settle(instances);
    const after = await audit(olga, `/groups/${closed.id}/audit`, { object: page.uri });
    const newer = [...await delivered()].filter((d) => !before.has(d));
    expect(newer.map((d) => d.split(" ")[0])).toEqual([B.host]);
    expect(after.filter((r) => r.server !== B.host).every((r) => r.server === D.host && r.result === "refused")).toBe(true);
  });

  it("a public group's posts are not audited", async () => {
    const post = await postInGroup(olga, open.id, { text: "Openbaar: de agenda van de raad" });
    expect(post.visibility).not.toBe("group");
    await waitForGroupPost(bob, openOnB.id, post.uri);
    await settle(instances);
    expect(await audit(olga, `/groups/${open.id}/audit`)).toEqual([]);
    expect(await audit(root, "/admin/audit", { object: post.uri })).toEqual([]);
  });
});
