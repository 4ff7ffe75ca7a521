/**
 * Groups across four real instances over HTTPS, driven through Plein's API:
 * A hosts the groups (anna owns them), B (bram) and C (cato) join from their
 * own servers, D (dirk) follows bram but joins nothing. What each instance
 * stores and shows is asserted on that instance.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { startFourServers } from "../support/four-servers.ts";
import { followAndWait, signedFetchObject } from "../support/mastodon.ts";
import {
  comment,
  createGroup,
  groupOn,
  groupPosts,
  joinGroup,
  leaveGroup,
  members,
  membershipState,
  type PleinGroup,
  postInGroup,
  waitForGroupPost,
  waitForMembership,
} from "../support/plein.ts";

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let C: TestInstance;
let D: TestInstance;
let anna: TestUser;
let bram: TestUser;
let cato: TestUser;
let dirk: TestUser;

const V1 = "/api/plein/v1";
/** Each test crosses three or four servers several times: generous on a loaded machine. */
const SLOW = 120_000;
const handleOf = (group: PleinGroup, host: string) => `${group.account.username}@${host}`;

async function storedPost(instance: TestInstance, iri: string) {
  return instance.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
}

async function accountIdOn(user: TestUser, other: TestUser): Promise<string> {
  const res = await user.api.get<Array<{ id: string; acct: string }>>("/api/v2/search", { q: other.handle, resolve: true, type: "accounts" });
  const found = (res.body as unknown as { accounts: Array<{ id: string; acct: string }> }).accounts.find((a) => a.acct === other.handle);
  if (!found) throw new Error(`${user.handle} cannot resolve ${other.handle}`);
  return found.id;
}

beforeAll(async () => {
  ({ instances, A, B, C, D, anna, bram, cato, dirk } = await startFourServers());
});

afterAll(async () => {
  await closeInstances(instances);
});

describe("membership across servers", { timeout: SLOW }, () => {
  it("an open group takes a member from another server at once", async () => {
    const group = await createGroup(anna, { name: "open1", display_name: "Open", visibility: "public", join_mode: "open" });
    expect(group.membership?.role).toBe("owner");
    const onB = await groupOn(bram, handleOf(group, A.host));
    expect(onB.account.group).toBe(true);
    expect(onB.local).toBe(false);
    const joined = await joinGroup(bram, onB);
    expect(joined.membership?.state).toBe("pending");
    await waitForMembership(bram, onB.id, "member");
    const list = await members(anna, group.id);
    expect(list.map((m) => m.account.acct).sort()).toEqual(["anna", bram.handle]);
  });

  it("an approval group holds the request until an admin approves it", async () => {
    const group = await createGroup(anna, { name: "approval1", visibility: "closed", join_mode: "approval" });
    const onC = await groupOn(cato, handleOf(group, A.host));
    await joinGroup(cato, onC);
    const pending = await waitFor(async () => (await members(anna, group.id, "pending")).find((m) => m.account.acct === cato.handle));
    await settle(instances);
    expect(await membershipState(cato, onC.id)).toBe("pending");
    // A pending request counts for nothing.
    expect((await members(anna, group.id)).map((m) => m.account.acct)).toEqual(["anna"]);
    // Content does not flow to a pending member's server.
    const before = await postInGroup(anna, group.id, { text: "Voor de leden van nu" });
    await settle(instances);
    expect(await storedPost(C, before.uri)).toBeUndefined();
    const approved = await anna.api.post(`${V1}/groups/${group.id}/requests/${pending.account.id}/approve`);
    expect(approved.status).toBe(200);
    await waitForMembership(cato, onC.id, "member");
    // Now it does.
    const after = await postInGroup(anna, group.id, { text: "Welkom, cato" });
    await waitForGroupPost(cato, onC.id, after.uri);
  });

  it("an invite-only group refuses strangers and takes the invited", async () => {
    const group = await createGroup(anna, { name: "invite1", visibility: "closed", join_mode: "invite" });
    // Not invited: the request is turned down.
    const onC = await groupOn(cato, handleOf(group, A.host));
    await joinGroup(cato, onC);
    await settle(instances);
    expect(await membershipState(cato, onC.id)).toBeNull();
    expect(await members(anna, group.id, "pending")).toEqual([]);
    // Invited: bram's server hears of it, and bram accepts by joining.
    const bramOnA = await accountIdOn(anna, bram);
    expect((await anna.api.post(`${V1}/groups/${group.id}/invitations`, { account_id: bramOnA })).status).toBe(200);
    const onB = await waitFor(async () => {
      const g = await groupOn(bram, handleOf(group, A.host));
      return g.membership?.state === "invited" ? g : undefined;
    });
    await joinGroup(bram, onB);
    await waitFor(async () => (await members(anna, group.id)).some((m) => m.account.acct === bram.handle));
    expect(await membershipState(bram, onB.id)).toBe("member");
  });

  it("a secret group cannot be found, yet its invitations arrive and can be accepted", async () => {
    const group = await createGroup(anna, { name: "secret1", visibility: "secret", join_mode: "invite" });
    // Neither WebFinger, search nor the directory knows it.
    const webfinger = await fetch(`${A.origin}/.well-known/webfinger?resource=acct:secret1@${A.host}`);
    expect(webfinger.status).toBe(404);
    const search = await cato.api.get<{ accounts: unknown[] }>("/api/v2/search", { q: `secret1@${A.host}`, resolve: true, type: "accounts" });
    expect(search.body.accounts).toEqual([]);
    const directory = await A.api().get<Array<{ id: string }>>(`${V1}/groups`);
    expect(directory.body.map((g) => g.id)).not.toContain(group.id);
    const asStranger = await (await A.createUser("stranger")).api.get(`${V1}/groups/${group.id}`);
    expect(asStranger.status).toBe(404);
    // The invitee's own server lists the invitation among bram's groups.
    const bramOnA = await accountIdOn(anna, bram);
    expect((await anna.api.post(`${V1}/groups/${group.id}/invitations`, { account_id: bramOnA })).status).toBe(200);
    const invited = await waitFor(async () => {
      const mine = await bram.api.get<PleinGroup[]>(`${V1}/groups`, { mine: true });
      return mine.body.find((g) => g.account.acct === `secret1@${A.host}` && g.membership?.state === "invited");
    });
    await joinGroup(bram, invited);
    await waitFor(async () => (await members(anna, group.id)).some((m) => m.account.acct === bram.handle));
    expect(await membershipState(bram, invited.id)).toBe("member");
  });

  it("leaving ends the membership on both servers", async () => {
    const group = await createGroup(anna, { name: "leave1", visibility: "public", join_mode: "open" });
    const onC = await groupOn(cato, handleOf(group, A.host));
    await joinGroup(cato, onC);
    await waitForMembership(cato, onC.id, "member");
    await waitFor(async () => (await members(anna, group.id)).length === 2);
    await leaveGroup(cato, onC);
    expect(await membershipState(cato, onC.id)).toBeNull();
    await waitFor(async () => (await members(anna, group.id)).length === 1);
  });

  it("an admin removes a member, and bans another who then cannot come back", async () => {
    const group = await createGroup(anna, { name: "kick1", visibility: "public", join_mode: "open" });
    const onB = await groupOn(bram, handleOf(group, A.host));
    const onC = await groupOn(cato, handleOf(group, A.host));
    await joinGroup(bram, onB);
    await joinGroup(cato, onC);
    await waitForMembership(bram, onB.id, "member");
    await waitForMembership(cato, onC.id, "member");
    const list = await members(anna, group.id);
    const bramId = list.find((m) => m.account.acct === bram.handle)!.account.id;
    const catoId = list.find((m) => m.account.acct === cato.handle)!.account.id;
    expect((await anna.api.post(`${V1}/groups/${group.id}/members/${bramId}/remove`)).status).toBe(200);
    expect((await anna.api.post(`${V1}/groups/${group.id}/members/${catoId}/ban`)).status).toBe(200);
    await waitForMembership(bram, onB.id, null);
    await waitForMembership(cato, onC.id, null);
    // bram may come back (an open group); cato is refused.
    await joinGroup(bram, onB);
    await joinGroup(cato, onC);
    await waitForMembership(bram, onB.id, "member");
    await settle(instances);
    expect(await membershipState(cato, onC.id)).toBeNull();
    expect((await members(anna, group.id, "banned")).map((m) => m.account.acct)).toEqual([cato.handle]);
  });
});

describe("a closed group's content", { timeout: SLOW }, () => {
  let group: PleinGroup;
  let onB: PleinGroup;
  let onC: PleinGroup;
  let onD: PleinGroup;

  beforeAll(async () => {
    group = await createGroup(anna, { name: "closed1", display_name: "Closed", visibility: "closed", join_mode: "open", moderate_comments: false });
    onB = await groupOn(bram, handleOf(group, A.host));
    onC = await groupOn(cato, handleOf(group, A.host));
    onD = await groupOn(dirk, handleOf(group, A.host));
    await joinGroup(bram, onB);
    await joinGroup(cato, onC);
    await waitForMembership(bram, onB.id, "member");
    await waitForMembership(cato, onC.id, "member");
    // dirk follows bram (and anna), but is no member.
    await followAndWait(dirk, bram.handle);
    await followAndWait(dirk, anna.handle);
  });

  it("a post by the group's own server reaches the members on B and C, and nothing of it reaches D", async () => {
    const post = await postInGroup(anna, group.id, { text: "Vertrouwelijk: de begroting voor 2027" });
    expect(post.visibility).toBe("group");
    await waitForGroupPost(bram, onB.id, post.uri);
    await waitForGroupPost(cato, onC.id, post.uri);
    await settle(instances);
    expect(await storedPost(D, post.uri)).toBeUndefined();
    // D cannot fetch it, signed by its server or by dirk; the answer is the one for a missing object.
    const missing = `${A.origin}/notes/00000000-0000-4000-8000-000000000000`;
    for (const signer of [D.host, "dirk"]) {
      const res = await signedFetchObject(D, signer, post.uri);
      const absent = await signedFetchObject(D, signer, missing);
      expect(res.status).toBe(404);
      expect(res.text).toBe(absent.text);
    }
    // Members' servers may fetch it.
    expect((await signedFetchObject(B, B.host, post.uri)).status).toBe(200);
  });

  it("a member's post from B reaches A and C through the group, and not D, which follows its author", async () => {
    const post = await postInGroup(bram, onB.id, { text: "Vanuit de gemeente: een vraag over de begroting" });
    expect(post.visibility).toBe("group");
    await waitForGroupPost(anna, group.id, post.uri);
    // C fetches it from B, which asks A whether C hosts a member.
    await waitForGroupPost(cato, onC.id, post.uri);
    await settle(instances);
    expect(await storedPost(D, post.uri)).toBeUndefined();
    expect((await signedFetchObject(D, D.host, post.uri)).status).toBe(404);
    expect((await signedFetchObject(C, C.host, post.uri)).status).toBe(200);
  });

  it("a member's edit on B reaches A and C through the group", async () => {
    const post = await postInGroup(bram, onB.id, { text: "Eerste versie van het voorstel" });
    await waitForGroupPost(cato, onC.id, post.uri);
    const edited = await bram.api.patch(`${V1}/posts/${post.id}`, { text: "Tweede versie van het voorstel" });
    expect(edited.status).toBe(200);
    for (const [user, groupId] of [[anna, group.id], [cato, onC.id]] as const) {
      await waitFor(async () => (await groupPosts(user, groupId)).find((p) => p.uri === post.uri)?.content.includes("Tweede versie"),
        { message: `the edit reaches ${user.handle}` });
    }
  });

  it("a comment from C reaches B through the group", async () => {
    const thread = await postInGroup(bram, onB.id, { text: "Wie komt er naar het overleg?" });
    const onCThread = await waitForGroupPost(cato, onC.id, thread.uri);
    const reply = await comment(cato, onCThread.id, "Ik kom, namens de provincie");
    expect(reply.visibility).toBe("group");
    const onBReply = await waitForGroupPost(bram, onB.id, reply.uri);
    expect(onBReply.in_reply_to_id).toBe(thread.id);
    await waitForGroupPost(anna, group.id, reply.uri);
    await settle(instances);
    expect(await storedPost(D, reply.uri)).toBeUndefined();
  });

  it("a member who left gets nothing new, and their server may no longer fetch", async () => {
    const before = await postInGroup(anna, group.id, { text: "Voor iedereen die nu lid is" });
    await waitForGroupPost(cato, onC.id, before.uri);
    await leaveGroup(cato, onC);
    await waitFor(async () => !(await members(anna, group.id)).some((m) => m.account.acct === cato.handle));
    const after = await postInGroup(anna, group.id, { text: "Na het vertrek van cato" });
    await waitForGroupPost(bram, onB.id, after.uri);
    await settle(instances);
    expect(await storedPost(C, after.uri)).toBeUndefined();
    expect((await signedFetchObject(C, C.host, after.uri)).status).toBe(404);
    expect((await signedFetchObject(C, C.host, before.uri)).status).toBe(404);
    // And C no longer lists what it received before for cato (no current membership).
    expect(await groupPosts(cato, onC.id)).toEqual([]);
  });

  it("non-members cannot post in the group, on any server", async () => {
    const res = await dirk.api.post(`${V1}/groups/${onD.id}/posts`, { text: "Mag ik meedoen?" });
    expect(res.status).toBe(403);
    expect((res.body as { error: string }).error).toMatch(/members/);
  });
});

describe("leaving, removal and ban end delivery and fetch at once", { timeout: SLOW }, () => {
  it("the former member's server gets nothing new and can fetch nothing, signed by itself or by the former member", async () => {
    const group = await createGroup(anna, { name: "closed2", visibility: "closed", join_mode: "open" });
    const former = [[B, bram], [C, cato], [D, dirk]] as const;
    const views = new Map<TestUser, PleinGroup>();
    for (const [, user] of former) {
      const view = await groupOn(user, handleOf(group, A.host));
      views.set(user, view);
      await joinGroup(user, view);
      await waitForMembership(user, view.id, "member");
    }
    const before = await postInGroup(anna, group.id, { text: "Voor de leden van nu" });
    for (const [instance, user] of former) {
      await waitForGroupPost(user, views.get(user)!.id, before.uri);
      expect((await signedFetchObject(instance, instance.host, before.uri)).status).toBe(200);
    }
    // bram is removed, cato banned, dirk leaves.
    const list = await members(anna, group.id);
    const idOf = (user: TestUser) => list.find((m) => m.account.acct === user.handle)!.account.id;
    expect((await anna.api.post(`${V1}/groups/${group.id}/members/${idOf(bram)}/remove`)).status).toBe(200);
    expect((await anna.api.post(`${V1}/groups/${group.id}/members/${idOf(cato)}/ban`)).status).toBe(200);
    await leaveGroup(dirk, views.get(dirk)!);
    await waitFor(async () => (await members(anna, group.id)).length === 1, { message: "only anna is left in closed2" });

    const after = await postInGroup(anna, group.id, { text: "Na het vertrek van iedereen" });
    await settle(instances);
    const missing = `${A.origin}/notes/00000000-0000-4000-8000-000000000000`;
    for (const [instance, user] of former) {
      expect(await storedPost(instance, after.uri), user.handle).toBeUndefined();
      for (const signer of [instance.host, user.handle.split("@")[0]!]) {
        const absent = await signedFetchObject(instance, signer, missing);
        expect(absent.status).toBe(404);
        for (const uri of [before.uri, after.uri]) {
          const res = await signedFetchObject(instance, signer, uri);
          expect({ status: res.status, text: res.text }, `${signer} on ${instance.host} fetches ${uri}`).toEqual({ status: 404, text: absent.text });
        }
      }
    }
  });
});

describe("keeping order", { timeout: SLOW }, () => {
  it("a report reaches the group's moderators, and a moderator's removal reaches every member's server", async () => {
    const group = await createGroup(anna, { name: "order1", visibility: "closed", join_mode: "open" });
    const onB = await groupOn(bram, handleOf(group, A.host));
    const onC = await groupOn(cato, handleOf(group, A.host));
    await joinGroup(bram, onB);
    await joinGroup(cato, onC);
    await waitForMembership(bram, onB.id, "member");
    await waitForMembership(cato, onC.id, "member");
    const post = await postInGroup(bram, onB.id, { text: "Iets dat hier niet hoort" });
    const onCPost = await waitForGroupPost(cato, onC.id, post.uri);
    const onAPost = await waitForGroupPost(anna, group.id, post.uri);

    // cato reports it on C and forwards the report: A's moderators (anna) are told.
    const report = await cato.api.post<{ id: string }>(`${V1}/reports`, { post_ids: [onCPost.id], comment: "Hoort niet in deze groep", forward: true });
    expect(report.status).toBe(200);
    await waitFor(async () => {
      const rows = await A.db.selectFrom("notifications").select(["type", "post_id"])
        .where("recipient_id", "=", anna.actor.id).where("type", "=", "report").execute();
      return rows.some((r) => r.post_id === onAPost.id);
    }, { message: "anna is told of the report" });
    const stored = await A.db.selectFrom("reports").select(["comment", "reporter_id"]).execute();
    expect(stored.map((r) => r.comment)).toContain("Hoort niet in deze groep");

    // anna removes it: gone on A, B and C.
    expect((await anna.api.post(`${V1}/groups/${group.id}/moderation/${onAPost.id}/remove`)).status).toBe(200);
    await waitFor(async () => !(await groupPosts(bram, onB.id)).some((p) => p.uri === post.uri), { message: "removed on B" });
    await waitFor(async () => !(await groupPosts(cato, onC.id)).some((p) => p.uri === post.uri), { message: "removed on C" });
    expect((await groupPosts(anna, group.id)).some((p) => p.uri === post.uri)).toBe(false);
  });

  it("reports and moderation are refused to those without the right", async () => {
    const group = await createGroup(anna, { name: "order2", visibility: "public", join_mode: "open" });
    const onB = await groupOn(bram, handleOf(group, A.host));
    await joinGroup(bram, onB);
    await waitForMembership(bram, onB.id, "member");
    const post = await postInGroup(anna, group.id, { text: "Alleen de beheerder haalt dit weg" });
    const bramOnA = await A.createUser("bram2");
    const res = await bramOnA.api.post(`${V1}/groups/${group.id}/moderation/${post.id}/remove`);
    expect(res.status).toBe(403);
    expect((await bramOnA.api.post(`${V1}/reports`, {})).status).toBe(422);
    expect((await bramOnA.api.post(`${V1}/reports`, { post_ids: ["999999999"] })).status).toBe(404);
    expect((await A.api().post(`${V1}/reports`, { post_ids: [post.id] })).status).toBe(401);
  });
});

describe("pre-moderated comments", { timeout: SLOW }, () => {
  it("a comment waits, invisible everywhere, until a moderator approves it", async () => {
    const group = await createGroup(anna, { name: "moderated1", visibility: "public", join_mode: "open", moderate_comments: true });
    const onB = await groupOn(bram, handleOf(group, A.host));
    const onC = await groupOn(cato, handleOf(group, A.host));
    await joinGroup(bram, onB);
    await joinGroup(cato, onC);
    await waitForMembership(bram, onB.id, "member");
    await waitForMembership(cato, onC.id, "member");
    const thread = await postInGroup(anna, group.id, { text: "Reacties worden eerst beoordeeld" });
    const onBThread = await waitForGroupPost(bram, onB.id, thread.uri);
    await waitForGroupPost(cato, onC.id, thread.uri);
    const reply = await comment(bram, onBThread.id, "Een reactie die moet wachten");
    await settle(instances);
    // On A it waits for a moderator; nobody else there or on C sees it.
    const pending = await waitFor(async () => {
      const res = await anna.api.get<Array<{ uri: string; id: string }>>(`${V1}/groups/${group.id}/moderation`);
      return res.body.find((p) => p.uri === reply.uri);
    });
    expect((await groupPosts(cato, onC.id, { top_level: "false" })).map((p) => p.uri)).not.toContain(reply.uri);
    expect(await storedPost(C, reply.uri)).toBeUndefined();
    const anonymous = A.api();
    expect((await anonymous.get(`${V1}/posts/${pending.id}`)).status).toBe(404);
    // Approved: it reaches C through the group.
    expect((await anna.api.post(`${V1}/groups/${group.id}/moderation/${pending.id}/approve`)).status).toBe(200);
    await waitForGroupPost(cato, onC.id, reply.uri);
    expect((await anonymous.get(`${V1}/posts/${pending.id}`)).status).toBe(200);
  });
});
