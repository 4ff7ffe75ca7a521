/**
 * Wiki pages across four real instances over HTTPS, driven through Plein's
 * API: A hosts the groups (anna owns them), B (bram) and C (cato) are
 * members from their own servers, D (dirk) follows bram but joins nothing.
 * Pages made on B appear on A and C with their fields; members on B and C
 * edit each other's pages, A (the group's server) numbers the revisions,
 * and every instance ends with the same revisions in the same order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { startFourServers } from "../support/four-servers.ts";
import { expectStatus, followAndWait, signedFetchObject } from "../support/mastodon.ts";
import {
  comment,
  createGroup,
  groupOn,
  joinGroup,
  type PleinContent,
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

interface Revision {
  number: number | null;
  pending: boolean;
  editor: { acct: string } | null;
  title: string | null;
  text?: string | null;
  content?: string;
}

interface TreeNode {
  id: string;
  uri: string;
  title: string | null;
  revision: number;
  children: TreeNode[];
}

/** One member's view of the group: its id on their instance. */
interface Member {
  user: TestUser;
  instance: TestInstance;
  groupId: string;
}

const handleOf = (group: PleinGroup) => `${group.account.username}@${A.host}`;

/** An account's handle with its domain, as seen from `instance`. */
function fullAcct(instance: TestInstance, acct: string | undefined): string {
  return acct?.includes("@") ? acct : `${acct}@${instance.host}`;
}

async function revisionsOn(m: Member, postId: string): Promise<Revision[]> {
  return expectStatus(await m.user.api.get<Revision[]>(`${V1}/posts/${postId}/revisions`, { limit: 100 }), 200, `revisions on ${m.instance.host}`);
}

/** The numbered revisions as every instance must agree on them: number, editor, title, text. */
async function history(m: Member, postId: string): Promise<Array<[number | null, string, string | null, string | null | undefined]>> {
  const list = await revisionsOn(m, postId);
  const full = await Promise.all(list.filter((r) => !r.pending).map(async (r) =>
    expectStatus(await m.user.api.get<Revision>(`${V1}/posts/${postId}/revisions/${r.number}`), 200, "revision")));
  return full.map((r) => [r.number, fullAcct(m.instance, r.editor?.acct), r.title, r.text]);
}

async function pageOn(m: Member, uri: string): Promise<PleinContent> {
  return waitForGroupPost(m.user, m.groupId, uri);
}

async function treeOn(m: Member): Promise<TreeNode[]> {
  return expectStatus(await m.user.api.get<{ pages: TreeNode[] }>(`${V1}/groups/${m.groupId}/wiki`), 200, "wiki tree").pages;
}

const shape = (nodes: TreeNode[]): unknown[] => nodes.map((n) => (n.children.length ? [n.uri, shape(n.children)] : n.uri));

async function editOn(m: Member, postId: string, fields: Record<string, unknown>): Promise<PleinContent> {
  return expectStatus(await m.user.api.patch<PleinContent>(`${V1}/posts/${postId}`, fields), 200, `${m.user.handle} edits`);
}

/** Waits until every member's instance holds `count` numbered revisions of the page, none pending. */
async function waitForRevisions(members: Member[], ids: Map<Member, string>, count: number): Promise<void> {
  for (const m of members) {
    await waitFor(async () => {
      const list = await revisionsOn(m, ids.get(m)!);
      return list.length === count && list.every((r) => !r.pending);
    }, { message: `${count} revisions on ${m.instance.host}` });
  }
}

beforeAll(async () => {
  ({ instances, A, B, C, D, anna, bram, cato, dirk } = await startFourServers());
});

afterAll(async () => {
  await closeInstances(instances);
});

async function groupWithMembers(name: string, visibility: "public" | "closed"): Promise<{ group: PleinGroup; onA: Member; onB: Member; onC: Member }> {
  const group = await createGroup(anna, { name, visibility, join_mode: "open" });
  const onB = await groupOn(bram, handleOf(group));
  const onC = await groupOn(cato, handleOf(group));
  await joinGroup(bram, onB);
  await joinGroup(cato, onC);
  await waitForMembership(bram, onB.id, "member");
  await waitForMembership(cato, onC.id, "member");
  return {
    group,
    onA: { user: anna, instance: A, groupId: group.id },
    onB: { user: bram, instance: B, groupId: onB.id },
    onC: { user: cato, instance: C, groupId: onC.id },
  };
}

describe("a public group's wiki on three servers", () => {
  let onA: Member;
  let onB: Member;
  let onC: Member;
  let all: Member[];
  let handbook: PleinContent;
  const ids = new Map<Member, string>();

  beforeAll(async () => {
    ({ onA, onB, onC } = await groupWithMembers("wiki1", "public"));
    all = [onA, onB, onC];
  });

  it("a page made on B, and one nested under it on C, appear everywhere with their fields", async () => {
    handbook = await postInGroup(bram, onB.groupId, { module: "wiki", title: "Handboek samenwerking", text: "Hoe we samenwerken.\n\nDeel 1." });
    expect(handbook.fields).toMatchObject({ revision: 1, parent_id: null });
    ids.set(onB, handbook.id);
    for (const m of [onA, onC]) {
      const p = await pageOn(m, handbook.uri);
      ids.set(m, p.id);
      expect(p).toMatchObject({ module: "wiki", type: "Page", title: "Handboek samenwerking" });
      expect(p.content).toContain("Hoe we samenwerken.");
      expect(p.fields).toMatchObject({ revision: 1, parent_id: null, source: "Hoe we samenwerken.\n\nDeel 1." });
    }
    const chapter = await postInGroup(cato, onC.groupId, { module: "wiki", title: "Hoofdstuk vergaderen", text: "Elke dinsdag.", parent_id: ids.get(onC) });
    for (const m of all) {
      const p = await pageOn(m, chapter.uri);
      expect(p.fields.parent_id).toBe(ids.get(m));
      expect(shape(await treeOn(m))).toEqual([[handbook.uri, [chapter.uri]]]);
    }
  });

  it("edits from C, then B, then A become revisions 2, 3, 4 on every server", async () => {
    await editOn(onC, ids.get(onC)!, { text: "Hoe we samenwerken, aangevuld door cato." });
    // C waits for A to number it; until then the edit shows as pending there.
    await waitForRevisions(all, ids, 2);
    await editOn(onB, ids.get(onB)!, { title: "Handboek", text: "Ingekort door bram." });
    await waitForRevisions(all, ids, 3);
    await editOn(onA, ids.get(onA)!, { text: "Nagelezen door anna." });
    await waitForRevisions(all, ids, 4);
    const expected = [
      [4, anna.handle, "Handboek", "Nagelezen door anna."],
      [3, bram.handle, "Handboek", "Ingekort door bram."],
      [2, cato.handle, "Handboek samenwerking", "Hoe we samenwerken, aangevuld door cato."],
      [1, bram.handle, "Handboek samenwerking", "Hoe we samenwerken.\n\nDeel 1."],
    ];
    for (const m of all) {
      expect(await history(m, ids.get(m)!), m.instance.host).toEqual(expected);
      const p = expectStatus(await m.user.api.get<PleinContent>(`${V1}/posts/${ids.get(m)}`), 200, "page");
      expect(p.title).toBe("Handboek");
      expect(p.content).toContain("Nagelezen door anna.");
      expect(p.fields).toMatchObject({ revision: 4, source: "Nagelezen door anna.", pending_edits: 0 });
    }
  });

  it("edits from B and C made at the same time end in the same order everywhere", async () => {
    const base = 4;
    await Promise.all([
      editOn(onB, ids.get(onB)!, { text: "Gelijktijdig door bram" }),
      editOn(onC, ids.get(onC)!, { text: "Gelijktijdig door cato" }),
    ]);
    await waitForRevisions(all, ids, base + 2);
    const onAHistory = await history(onA, ids.get(onA)!);
    expect(onAHistory.slice(0, 2).map((r) => r[1]).sort()).toEqual([bram.handle, cato.handle].sort());
    for (const m of [onB, onC]) expect(await history(m, ids.get(m)!), m.instance.host).toEqual(onAHistory);
    // The page shows the newest revision everywhere.
    const newest = onAHistory[0]![3];
    for (const m of all) {
      const p = expectStatus(await m.user.api.get<PleinContent>(`${V1}/posts/${ids.get(m)}`), 200, "page");
      expect(p.fields.source).toBe(newest);
    }
  });

  it("restoring an old revision on C becomes the next revision everywhere", async () => {
    const restored = expectStatus(await cato.api.post<PleinContent>(`${V1}/posts/${ids.get(onC)}/revisions/1/restore`), 200, "restore");
    expect(restored.fields.pending_edits).toBe(1);
    await waitForRevisions(all, ids, 7);
    for (const m of all) {
      const [newest] = await history(m, ids.get(m)!);
      expect(newest).toEqual([7, cato.handle, "Handboek samenwerking", "Hoe we samenwerken.\n\nDeel 1."]);
    }
  });

  it("a comment on a page from C reaches A and B", async () => {
    const reply = await comment(cato, ids.get(onC)!, "Goed handboek!");
    for (const m of [onA, onB]) {
      const p = await waitForGroupPost(m.user, m.groupId, reply.uri);
      expect(p.in_reply_to_id).toBe(ids.get(m));
    }
  });

  it("a non-member who finds a public page cannot edit it, and nothing reaches the group", async () => {
    // A page of the public group made on A is public (one made on B is for members: B keeps a remote group's content to them).
    const page = await postInGroup(anna, onA.groupId, { module: "wiki", title: "Alleen leden", text: "x" });
    expect(page.visibility).toBe("public");
    const onBPage = await pageOn(onB, page.uri);
    // dirk (on D, in no group) looks the public page up: his server fetches it, but he may not edit it.
    const found = await waitFor(async () => {
      const res = await dirk.api.get<{ statuses: Array<{ id: string; uri: string }> }>("/api/v2/search", { q: page.uri, resolve: true, type: "statuses" });
      return res.body.statuses?.find((s) => s.uri === page.uri);
    });
    const res = await dirk.api.patch<{ error: string }>(`${V1}/posts/${found.id}`, { text: "door dirk" });
    expect(res.status).toBe(404);
    await settle(instances);
    expect((await revisionsOn(onA, page.id)).map((r) => r.number)).toEqual([1]);
    expect((await revisionsOn(onB, onBPage.id)).map((r) => r.number)).toEqual([1]);
  });
});

describe("a closed group's wiki", () => {
  it("reaches members on B and C, edits agree, and D neither receives nor can fetch it", async () => {
    const { onA, onB, onC } = await groupWithMembers("wiki2", "closed");
    await followAndWait(dirk, bram.handle);
    const page = await postInGroup(bram, onB.groupId, { module: "wiki", title: "Begroting intern", text: "Vertrouwelijk" });
    expect(page.visibility).toBe("group");
    const ids = new Map<Member, string>([[onB, page.id]]);
    for (const m of [onA, onC]) ids.set(m, (await pageOn(m, page.uri)).id);
    await editOn(onC, ids.get(onC)!, { text: "Vertrouwelijk, aangevuld" });
    await waitForRevisions([onA, onB, onC], ids, 2);
    for (const m of [onA, onB, onC]) {
      expect((await history(m, ids.get(m)!)).map((r) => [r[0], r[1]])).toEqual([[2, cato.handle], [1, bram.handle]]);
    }
    await settle(instances);
    expect(await D.db.selectFrom("posts").select("id").where("iri", "=", page.uri).executeTakeFirst()).toBeUndefined();
    for (const signer of [D.host, "dirk"]) expect((await signedFetchObject(D, signer, page.uri)).status).toBe(404);
    // Nor any of its revisions (the Update ids A announced to B and C).
    const updateIds = (await revisionsOn(onA, ids.get(onA)!)).map((r) => (r as Revision & { activity_id: string }).activity_id);
    const onD = await D.db.withTables<{ wiki_revisions: { activity_iri: string } }>().selectFrom("wiki_revisions").select("activity_iri")
      .where("activity_iri", "in", updateIds).execute();
    expect(onD).toEqual([]);
  });
});
