/**
 * Plein's own API for groups on one instance: every endpoint's happy path,
 * and its answers to missing tokens, missing scopes, malformed input, other
 * people's groups and things that do not exist (never a 500; errors as JSON).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleinContent, PleinGroup, PleinMember } from "../../src/api/plein/entities.ts";
import type { Actor } from "../../src/db/schema.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let owner: User;
let member: User;
let outsider: User;
let readOnly: string;

const V1 = "/api/plein/v1";

beforeAll(async () => {
  api = await startApi();
  [owner, member, outsider] = await Promise.all([api.user("owner"), api.user("member"), api.user("outsider")]);
  readOnly = await api.token(owner, ["read"]);
});

afterAll(async () => {
  await api?.close();
});

async function group(fields: Record<string, unknown>, by: User = owner): Promise<PleinGroup> {
  const res = await api.request<PleinGroup>("POST", `${V1}/groups`, { token: by.token, json: fields });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe("groups", () => {
  it("creates a group with its settings and the default modules; the founder owns it", async () => {
    const g = await group({ name: "team", display_name: "Het team", description: "Over #beleid", visibility: "closed", join_mode: "approval",
      posting: "admins", moderate_posts: true });
    expect(g).toMatchObject({ local: true, visibility: "closed", join_mode: "approval", posting: "admins", moderate_posts: true,
      moderate_comments: false, members_count: 1, membership: { state: "member", role: "owner" } });
    expect(g.account).toMatchObject({ username: "team", display_name: "Het team", group: true, locked: true });
    expect(g.account.note).toContain("beleid");
    expect(g.modules.length).toBeGreaterThan(0);
    const again = await api.request<PleinGroup>("GET", `${V1}/groups/${g.id}`);
    expect(again.body.membership).toBeNull();
  });

  it("refuses bad requests to create one", async () => {
    expect((await api.request("POST", `${V1}/groups`, { json: { name: "x" } })).status).toBe(401);
    expect((await api.request("POST", `${V1}/groups`, { token: readOnly, json: { name: "x" } })).status).toBe(403);
    for (const [fields, pattern] of [
      [{}, /name/], [{ name: "Bad Name!" }, /Username/], [{ name: "admin" }, /reserved/],
      [{ name: "x1", visibility: "hidden" }, /visibility/], [{ name: "x2", join_mode: "maybe" }, /join_mode/],
      [{ name: "x3", modules: ["nosuch"] }, /module/], [{ name: "x4", display_name: "y".repeat(101) }, /longer/],
      [{ name: "x5", moderate_posts: "perhaps" }, /moderate_posts/], [{ name: ["a"] }, /name/],
    ] as const) {
      const res = await api.request("POST", `${V1}/groups`, { token: owner.token, json: fields });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      expect(res.body.error).toMatch(pattern);
    }
    expect((await api.request("POST", `${V1}/groups`, { token: owner.token, json: { name: "owner" } })).status).toBe(409);
    expect((await api.request("POST", `${V1}/groups`, { token: owner.token, body: "{", contentType: "application/json" })).status).toBe(400);
  });

  it("answers 404 alike for what is not a group, absent or secret", async () => {
    const secret = await group({ name: "hidden", visibility: "secret", join_mode: "invite" });
    for (const id of ["abc", "0", "99999999999", "-1", owner.id, secret.id]) {
      const res = await api.request("GET", `${V1}/groups/${id}`, { token: outsider.token });
      expect(res.status, id).toBe(404);
      expect(res.body).toEqual({ error: "Record not found" });
    }
    expect((await api.request("GET", `${V1}/groups/${secret.id}`, { token: owner.token })).status).toBe(200);
    const listed = await api.request<PleinGroup[]>("GET", `${V1}/groups`, { token: outsider.token });
    expect(listed.body.map((g) => g.id)).not.toContain(secret.id);
    const mine = await api.request<PleinGroup[]>("GET", `${V1}/groups?mine=true`, { token: owner.token });
    expect(mine.body.map((g) => g.id)).toContain(secret.id);
  });

  it("lets only admins change a group", async () => {
    const g = await group({ name: "edits", visibility: "public" });
    const patch = (token: string, json: unknown) => api.request<PleinGroup>("PATCH", `${V1}/groups/${g.id}`, { token, json });
    expect((await patch(outsider.token, { display_name: "Mine" })).status).toBe(403);
    expect((await patch(owner.token, { visibility: "everyone" })).status).toBe(422);
    const changed = await patch(owner.token, { display_name: "Bewerkt", moderate_comments: true, modules: ["discussion"] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ moderate_comments: true, modules: ["discussion"] });
    expect(changed.body.account.display_name).toBe("Bewerkt");
  });
});

describe("membership", () => {
  let g: PleinGroup;

  beforeAll(async () => {
    g = await group({ name: "club", visibility: "closed", join_mode: "approval" });
  });

  it("holds a request until an admin decides, and counts only approved members", async () => {
    const joined = await api.request<PleinGroup>("POST", `${V1}/groups/${g.id}/join`, { token: member.token });
    expect(joined.body.membership?.state).toBe("pending");
    expect(joined.body.members_count).toBe(1);
    // Non-admins see no requests; members of a closed group see no member list.
    expect((await api.request<PleinMember[]>("GET", `${V1}/groups/${g.id}/members?state=pending`, { token: member.token })).body).toEqual([]);
    expect((await api.request<PleinMember[]>("GET", `${V1}/groups/${g.id}/members`, { token: outsider.token })).body).toEqual([]);
    expect((await api.request("GET", `${V1}/groups/${g.id}/members?state=everyone`, { token: owner.token })).status).toBe(422);
    const pending = await api.request<PleinMember[]>("GET", `${V1}/groups/${g.id}/members?state=pending`, { token: owner.token });
    expect(pending.body.map((m) => m.account.username)).toEqual(["member"]);
    expect((await api.request("POST", `${V1}/groups/${g.id}/requests/${member.id}/approve`, { token: member.token })).status).toBe(403);
    expect((await api.request("POST", `${V1}/groups/${g.id}/requests/${outsider.id}/approve`, { token: owner.token })).status).toBe(404);
    expect((await api.request("POST", `${V1}/groups/${g.id}/requests/nope/approve`, { token: owner.token })).status).toBe(404);
    const approved = await api.request<PleinGroup>("POST", `${V1}/groups/${g.id}/requests/${member.id}/approve`, { token: owner.token });
    expect(approved.body.members_count).toBe(2);
    const list = await api.request<PleinMember[]>("GET", `${V1}/groups/${g.id}/members`, { token: member.token });
    expect(list.body.map((m) => [m.account.username, m.role]).sort()).toEqual([["member", "member"], ["owner", "owner"]]);
  });

  it("lets members present themselves, and refuses nonsense", async () => {
    const res = await api.request<PleinGroup>("PATCH", `${V1}/groups/${g.id}/membership`, {
      token: member.token, json: { title: "Beleidsmedewerker", organisation: "Gemeente Utrecht", notify: "mentions" },
    });
    expect(res.body.membership).toMatchObject({ title: "Beleidsmedewerker", organisation: "Gemeente Utrecht", notify: "mentions" });
    expect((await api.request("PATCH", `${V1}/groups/${g.id}/membership`, { token: member.token, json: { notify: "always" } })).status).toBe(422);
    expect((await api.request("PATCH", `${V1}/groups/${g.id}/membership`, { token: member.token, json: { title: "t".repeat(101) } })).status).toBe(422);
    expect((await api.request("PATCH", `${V1}/groups/${g.id}/membership`, { token: outsider.token, json: { title: "x" } })).status).toBe(404);
  });

  it("keeps roles in order: only the owner makes admins, the owner cannot be removed", async () => {
    const role = (token: string, who: string, value: unknown) =>
      api.request("PUT", `${V1}/groups/${g.id}/members/${who}/role`, { token, json: { role: value } });
    expect((await role(owner.token, member.id, "owner")).status).toBe(422);
    expect((await role(owner.token, member.id, "king")).status).toBe(422);
    expect((await role(member.token, member.id, "admin")).status).toBe(403);
    expect((await role(owner.token, outsider.id, "moderator")).status).toBe(404);
    expect((await role(owner.token, member.id, "admin")).status).toBe(200);
    expect((await api.request("POST", `${V1}/groups/${g.id}/members/${owner.id}/remove`, { token: member.token })).status).toBe(403);
    expect((await api.request("POST", `${V1}/groups/${g.id}/leave`, { token: owner.token })).status).toBe(403);
    expect((await api.request("POST", `${V1}/groups/${g.id}/transfer`, { token: member.token, json: { account_id: member.id } })).status).toBe(403);
    expect((await api.request("POST", `${V1}/groups/${g.id}/transfer`, { token: owner.token, json: { account_id: outsider.id } })).status).toBe(422);
    expect((await api.request("POST", `${V1}/groups/${g.id}/transfer`, { token: owner.token, json: {} })).status).toBe(422);
    const moved = await api.request<PleinGroup>("POST", `${V1}/groups/${g.id}/transfer`, { token: owner.token, json: { account_id: member.id } });
    expect(moved.body.membership?.role).toBe("admin");
    expect((await api.request("POST", `${V1}/groups/${g.id}/transfer`, { token: member.token, json: { account_id: owner.id } })).status).toBe(200);
  });

  it("bans keep someone out until lifted; an invite-only group takes the invited only", async () => {
    const open = await group({ name: "ban", visibility: "public", join_mode: "open" });
    await api.request("POST", `${V1}/groups/${open.id}/join`, { token: outsider.token });
    expect((await api.request("POST", `${V1}/groups/${open.id}/members/${outsider.id}/ban`, { token: owner.token })).status).toBe(200);
    const again = await api.request("POST", `${V1}/groups/${open.id}/join`, { token: outsider.token });
    expect(again.status).toBe(403);
    expect(again.body.error).toMatch(/banned/);
    expect((await api.request("POST", `${V1}/groups/${open.id}/members/${outsider.id}/unban`, { token: owner.token })).status).toBe(200);
    expect((await api.request<PleinGroup>("POST", `${V1}/groups/${open.id}/join`, { token: outsider.token })).body.membership?.state).toBe("member");

    const invite = await group({ name: "invites", visibility: "closed", join_mode: "invite" });
    const refused = await api.request("POST", `${V1}/groups/${invite.id}/join`, { token: outsider.token });
    expect(refused.status).toBe(403);
    expect((await api.request("POST", `${V1}/groups/${invite.id}/invitations`, { token: outsider.token, json: { account_id: outsider.id } })).status).toBe(403);
    expect((await api.request("POST", `${V1}/groups/${invite.id}/invitations`, { token: owner.token, json: { account_id: "x" } })).status).toBe(422);
    expect((await api.request("POST", `${V1}/groups/${invite.id}/invitations`, { token: owner.token, json: { account_id: invite.id } })).status).toBe(422);
    expect((await api.request("POST", `${V1}/groups/${invite.id}/invitations`, { token: owner.token, json: { account_id: outsider.id } })).status).toBe(200);
    expect((await api.request<PleinGroup>("POST", `${V1}/groups/${invite.id}/join`, { token: outsider.token })).body.membership?.state).toBe("member");
  });
});

describe("members only from listed domains", () => {
  const remotePerson = (iri: string, sharedInbox: string | null = null): Promise<Actor> => upsertRemoteActor(api.running.deps.db, "plein.test", {
    iri, type: "Person", username: new URL(iri).pathname.split("/").pop()!, displayName: "", summaryHtml: "",
    url: null, avatarUrl: null, headerUrl: null, inbox: `${iri}/inbox`, sharedInbox,
    outbox: null, followers: null, following: null, featured: null, manuallyApprovesFollowers: false, bot: false,
    fields: [], followersCount: null, followingCount: null, postsCount: null,
  });
  const invite = (g: PleinGroup, who: Actor, token = owner.token) =>
    api.request("POST", `${V1}/groups/${g.id}/invitations`, { token, json: { account_id: who.id } });

  it("admins set the list (normalised), clear it, and get a 422 for what is no domain", async () => {
    const g = await group({ name: "rijk", visibility: "closed", join_mode: "approval", allowed_domains: ["*.Rijksoverheid.NL", "gemeente.nl."] });
    expect(g.allowed_domains).toEqual(["*.rijksoverheid.nl", "gemeente.nl"]);
    const patch = (token: string, json: unknown) => api.request<PleinGroup>("PATCH", `${V1}/groups/${g.id}`, { token, json });
    expect((await patch(outsider.token, { allowed_domains: [] })).status).toBe(403);
    for (const bad of [["https://example.nl/"], ["a.*.nl"], ["*.127.0.0.1"], ["user@example.nl"], [7], Array.from({ length: 101 }, (_, i) => `d${i}.nl`)]) {
      const res = await patch(owner.token, { allowed_domains: bad });
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect((res.body as unknown as { error: string }).error).toMatch(/allowed_domains/);
    }
    expect((await api.request<PleinGroup>("GET", `${V1}/groups/${g.id}`, { token: owner.token })).body.allowed_domains)
      .toEqual(["*.rijksoverheid.nl", "gemeente.nl"]);
    // A form sends one empty value to clear the list.
    const cleared = await api.request<PleinGroup>("PATCH", `${V1}/groups/${g.id}`, { token: owner.token, form: { allowed_domains: "" } });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.allowed_domains).toEqual([]);
    expect((await patch(owner.token, { allowed_domains: ["example.nl"] })).body.allowed_domains).toEqual(["example.nl"]);
  });

  it("people of this instance are always allowed; people of other servers only from the list, with the reason", async () => {
    const g = await group({ name: "alleenrijk", visibility: "closed", join_mode: "invite", allowed_domains: ["*.rijksoverheid.nl"] });
    expect((await invite(g, await api.running.deps.db.selectFrom("actors").selectAll().where("id", "=", outsider.id).executeTakeFirstOrThrow())).status).toBe(200);
    expect((await api.request<PleinGroup>("POST", `${V1}/groups/${g.id}/join`, { token: outsider.token })).body.membership?.state).toBe("member");

    const stranger = await remotePerson("https://social.example/users/stranger");
    const refused = await invite(g, stranger);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("This group accepts members only from *.rijksoverheid.nl; social.example is not among them");
    // Listed id, but an inbox elsewhere: the group's content would go there.
    const split = await remotePerson("https://mastodon.rijksoverheid.nl/users/split", "https://relay.example/inbox");
    expect((await invite(g, split)).body.error).toMatch(/relay\.example is not among them/);
    const ok = await remotePerson("https://mastodon.minbzk.rijksoverheid.nl/users/ok", "https://mastodon.minbzk.rijksoverheid.nl/inbox");
    expect((await invite(g, ok)).status).toBe(200);
    expect((await api.request("GET", `${V1}/groups/${g.id}/members?state=invited`, { token: owner.token })).body).toHaveLength(1);
  });
});

describe("content", () => {
  let g: PleinGroup;

  beforeAll(async () => {
    g = await group({ name: "werk", visibility: "closed", join_mode: "open", modules: ["discussion", "blog"] });
    await api.request("POST", `${V1}/groups/${g.id}/join`, { token: member.token });
  });

  const post = (token: string, json: unknown) => api.request<PleinContent>("POST", `${V1}/groups/${g.id}/posts`, { token, json });

  it("members post the group's modules, in the group's scope; others cannot read or post", async () => {
    const created = await post(member.token, { module: "discussion", title: "Agenda", text: "Wat bespreken we? #overleg" });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ module: "discussion", type: "Page", title: "Agenda", visibility: "group", group_id: g.id });
    expect(created.body.content).toContain("overleg");
    expect((await post(outsider.token, { text: "hallo" })).status).toBe(403);
    expect((await api.request("GET", `${V1}/posts/${created.body.id}`, { token: outsider.token })).status).toBe(404);
    expect((await api.request("GET", `${V1}/posts/${created.body.id}`)).status).toBe(404);
    expect((await api.request<PleinContent[]>("GET", `${V1}/groups/${g.id}/posts`, { token: outsider.token })).body).toEqual([]);
    const listed = await api.request<PleinContent[]>("GET", `${V1}/groups/${g.id}/posts?module=discussion`, { token: owner.token });
    expect(listed.body.map((p) => p.id)).toEqual([created.body.id]);
  });

  it("refuses malformed content and modules the group does not use", async () => {
    for (const [json, status] of [
      [{}, 422], [{ text: "   " }, 422], [{ text: "x", module: "nosuch" }, 422], [{ text: "x", module: "wiki" }, 403],
      [{ text: 5 }, 200], [{ text: ["x"] }, 422], [{ text: "x".repeat(50_001) }, 422],
    ] as const) {
      const res = await post(member.token, json);
      expect(res.status, JSON.stringify(json).slice(0, 80)).toBe(status);
    }
    expect((await api.request("GET", `${V1}/groups/${g.id}/posts?module=nosuch`, { token: member.token })).status).toBe(422);
  });

  it("comments, edits and deletes: the author edits, a moderator removes, others cannot", async () => {
    const thread = (await post(member.token, { text: "Eerste versie" })).body;
    const reply = await api.request<PleinContent>("POST", `${V1}/posts/${thread.id}/comments`, { token: owner.token, json: { text: "Reactie" } });
    expect(reply.body).toMatchObject({ in_reply_to_id: thread.id, visibility: "group" });
    const comments = await api.request<PleinContent[]>("GET", `${V1}/posts/${thread.id}/comments`, { token: member.token });
    expect(comments.body.map((c) => c.id)).toEqual([reply.body.id]);
    expect((await api.request("POST", `${V1}/posts/${thread.id}/comments`, { token: outsider.token, json: { text: "x" } })).status).toBe(404);
    expect((await api.request("PATCH", `${V1}/posts/${thread.id}`, { token: owner.token, json: { text: "Overgenomen" } })).status).toBe(404);
    const edited = await api.request<PleinContent>("PATCH", `${V1}/posts/${thread.id}`, { token: member.token, json: { text: "Tweede versie" } });
    expect(edited.body.content).toContain("Tweede versie");
    expect(edited.body.text).toBe("Tweede versie");
    expect((await api.request("DELETE", `${V1}/posts/${reply.body.id}`, { token: outsider.token })).status).toBe(404);
    expect((await api.request("DELETE", `${V1}/posts/${thread.id}`, { token: owner.token })).status).toBe(200);
    expect((await api.request("GET", `${V1}/posts/${thread.id}`, { token: member.token })).status).toBe(404);
  });

  it("pre-moderation: a post waits for a moderator, seen only by its author and the moderators", async () => {
    await api.request("PATCH", `${V1}/groups/${g.id}`, { token: owner.token, json: { moderate_posts: true } });
    const waiting = (await post(member.token, { text: "Graag beoordelen" })).body;
    expect(waiting.moderation).toBe("pending");
    expect((await api.request<PleinContent[]>("GET", `${V1}/groups/${g.id}/moderation`, { token: member.token })).status).toBe(403);
    const queue = await api.request<PleinContent[]>("GET", `${V1}/groups/${g.id}/moderation`, { token: owner.token });
    expect(queue.body.map((p) => p.id)).toEqual([waiting.id]);
    expect((await api.request("POST", `${V1}/groups/${g.id}/moderation/${waiting.id}/approve`, { token: member.token })).status).toBe(403);
    expect((await api.request("POST", `${V1}/groups/${g.id}/moderation/999999/approve`, { token: owner.token })).status).toBe(404);
    const approved = await api.request<PleinContent>("POST", `${V1}/groups/${g.id}/moderation/${waiting.id}/approve`, { token: owner.token });
    expect(approved.body.moderation).toBe("approved");
    // Moderators' own posts do not wait.
    expect((await post(owner.token, { text: "Van de beheerder" })).body.moderation).toBe("approved");
  });

  it("serves its OpenAPI document", async () => {
    const doc = await api.request<{ openapi: string; paths: Record<string, unknown> }>("GET", `${V1}/openapi.json`);
    expect(doc.body.openapi).toBe("3.1.0");
    for (const path of ["/groups", "/groups/{id}/members", "/groups/{id}/posts", "/posts/{id}", "/reports"]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
  });
});
