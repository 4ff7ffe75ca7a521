/**
 * The rules every titled content module (discussion, blog) follows through
 * Plein's API, as one suite each module's test file runs: a title is
 * required and never blank, comments are counted as the caller may see them,
 * and the last activity follows the newest visible comment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleinContent, PleinGroup } from "../../src/api/plein/entities.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { type Api, type ApiError, startApi, type User } from "../api/support.ts";

const V1 = "/api/plein/v1";

export interface TitledModule {
  module: string;
  type: "Page" | "Article";
  /** how the module names itself in a missing-title error */
  noun: RegExp;
}

interface ThreadFields {
  comments_count: number;
  last_activity_at: string;
}

export function titledContentSuite({ module, type, noun }: TitledModule): void {
  let api: Api;
  let anna: User;
  let bob: User;
  let carol: User;
  let dirk: User;
  let group: PleinGroup;

  async function newGroup(owner: User, fields: Record<string, unknown>): Promise<PleinGroup> {
    const res = await api.request<PleinGroup>("POST", `${V1}/groups`, { token: owner.token, json: fields });
    expect(res.status, res.text).toBe(200);
    return res.body;
  }

  async function join(user: User, g: PleinGroup): Promise<void> {
    const res = await api.request<PleinGroup>("POST", `${V1}/groups/${g.id}/join`, { token: user.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.membership?.state).toBe("member");
  }

  async function create(user: User, g: PleinGroup, fields: Record<string, unknown>) {
    return api.request<PleinContent>("POST", `${V1}/groups/${g.id}/posts`, { token: user.token, json: { module, ...fields } });
  }

  async function ok(res: { status: number; text: string; body: PleinContent }): Promise<PleinContent> {
    expect(res.status, res.text).toBe(200);
    return res.body;
  }

  async function comment(user: User, postId: string, text: string): Promise<PleinContent> {
    return ok(await api.request<PleinContent>("POST", `${V1}/posts/${postId}/comments`, { token: user.token, json: { text } }));
  }

  async function get(user: User | null, postId: string) {
    return api.request<PleinContent>("GET", `${V1}/posts/${postId}`, user ? { token: user.token } : {});
  }

  const fieldsOf = (content: PleinContent) => content.fields as unknown as ThreadFields;

  beforeAll(async () => {
    api = await startApi();
    [anna, bob, carol, dirk] = await Promise.all([api.user("anna"), api.user("bob"), api.user("carol"), api.user("dirk")]);
    group = await newGroup(anna, { name: `${module}_open`, visibility: "public", join_mode: "open" });
    await join(bob, group);
    await join(carol, group);
  });

  afterAll(async () => {
    await api?.close();
  });

  describe(`${module}: creating and editing`, () => {
    it(`is a ${type} with its title, and no comments yet`, async () => {
      const post = await ok(await create(bob, group, { title: "  Hoe  regelen we   de vergunning? ", text: "Wie weet *meer*?" }));
      expect(post).toMatchObject({ module, type, title: "Hoe regelen we de vergunning?", group_id: group.id, in_reply_to_id: null });
      expect(post.content).toContain("Wie weet");
      expect(fieldsOf(post)).toEqual({ comments_count: 0, last_activity_at: post.created_at });
    });

    it("needs a title that is not blank nor too long, and a text", async () => {
      for (const fields of [{ text: "Geen titel" }, { title: null, text: "Titel null" }]) {
        const res = await create(bob, group, fields);
        expect(res.status).toBe(422);
        expect((res.body as unknown as ApiError).error).toMatch(noun);
      }
      for (const [fields, error] of [
        [{ title: " \n\t ", text: "Lege titel" }, /title can't be blank/],
        [{ title: "x".repeat(301), text: "Te lang" }, /title is longer than 300/],
        [{ title: ["a", "b"], text: "Een lijst" }, /title must be a string/],
        [{ title: { nested: true }, text: "Een object" }, /title must be a string/],
        [{ title: "Geen tekst" }, /text is required/],
        [{ title: "Lege tekst", text: "   " }, /text can't be blank/],
      ] as const) {
        const res = await create(bob, group, fields);
        expect(res.status, JSON.stringify(fields)).toBe(422);
        expect((res.body as unknown as ApiError).error).toMatch(error);
      }
      // Nothing of them was stored.
      const list = await api.request<PleinContent[]>("GET", `${V1}/groups/${group.id}/posts`, { token: anna.token });
      expect(list.body.filter((p) => p.title === null || p.title.trim() === "")).toEqual([]);
    });

    it("a title with markup stays text: escaped wherever it is shown as HTML", async () => {
      const post = await ok(await create(bob, group, { title: "<script>alert(1)</script> & co", text: "Tekst" }));
      expect(post.title).toBe("<script>alert(1)</script> & co");
      const status = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${post.id}`, { token: anna.token });
      expect(status.body.content).toContain("<strong>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</strong>");
    });

    it("an edit may change the title and the warning, but not blank the title; leaving it out keeps it", async () => {
      const post = await ok(await create(bob, group, { title: "Eerste titel", text: "Tekst" }));
      const edited = await ok(await api.request<PleinContent>("PATCH", `${V1}/posts/${post.id}`, {
        token: bob.token, json: { title: "Tweede titel", summary: "Let op" },
      }));
      expect(edited).toMatchObject({ title: "Tweede titel", summary: "Let op", text: "Tekst" });
      const blank = await api.request("PATCH", `${V1}/posts/${post.id}`, { token: bob.token, json: { title: "" } });
      expect(blank.status).toBe(422);
      const kept = await ok(await api.request<PleinContent>("PATCH", `${V1}/posts/${post.id}`, {
        token: bob.token, json: { text: "Nieuwe tekst", summary: "" },
      }));
      expect(kept).toMatchObject({ title: "Tweede titel", summary: null, text: "Nieuwe tekst" });
      const status = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${post.id}`, { token: bob.token });
      expect(status.body.sensitive).toBe(false);
      // Someone else cannot edit it.
      const other = await api.request("PATCH", `${V1}/posts/${post.id}`, { token: carol.token, json: { title: "Van carol" } });
      expect(other.status).toBe(404);
    });

    it(`a group that switched ${module} off refuses it`, async () => {
      const g = await newGroup(anna, { name: `${module}_off`, visibility: "public", join_mode: "open" });
      const modules = g.modules.filter((m) => m !== module);
      const patched = await api.request<PleinGroup>("PATCH", `${V1}/groups/${g.id}`, { token: anna.token, json: { modules } });
      expect(patched.status, patched.text).toBe(200);
      const res = await create(anna, g, { title: "Mag niet", text: "Uit" });
      expect(res.status).toBe(403);
    });

    it("the OpenAPI document lists its parameters (title required) and fields", async () => {
      const doc = await api.request<{ components: { schemas: Record<string, { required?: string[]; properties: Record<string, unknown> }> } }>(
        "GET", `${V1}/openapi.json`);
      const input = doc.body.components.schemas[`module.${module}.input`]!;
      expect(input.required).toEqual(["title"]);
      expect(Object.keys(input.properties)).toEqual(["title", "summary"]);
      expect(Object.keys(doc.body.components.schemas[`module.${module}.fields`]!.properties)).toEqual(["comments_count", "last_activity_at"]);
    });
  });

  describe(`${module}: comments and last activity`, () => {
    it("counts comments at any depth, and the last activity is the newest comment", async () => {
      const post = await ok(await create(anna, group, { title: "Draad", text: "Begin" }));
      const first = await comment(bob, post.id, "Eerste reactie");
      const nested = await comment(carol, first.id, "Een antwoord op bob");
      const deeper = await comment(anna, nested.id, "En nog dieper");
      const seen = fieldsOf(await ok(await get(dirk, post.id)));
      expect(seen).toEqual({ comments_count: 3, last_activity_at: deeper.created_at });
      // A deleted comment no longer counts; the activity falls back to the newest that is left.
      expect((await api.request("DELETE", `${V1}/posts/${deeper.id}`, { token: anna.token })).status).toBe(200);
      expect(fieldsOf(await ok(await get(null, post.id)))).toEqual({ comments_count: 2, last_activity_at: nested.created_at });
      // In a list, each post has its own counts.
      const list = await api.request<PleinContent[]>("GET", `${V1}/groups/${group.id}/posts`, { token: bob.token });
      expect(list.status).toBe(200);
      const listed = list.body.find((p) => p.id === post.id)!;
      expect(fieldsOf(listed).comments_count).toBe(2);
      for (const other of list.body.filter((p) => p.module === module && p.id !== post.id)) {
        expect(fieldsOf(other).comments_count).toBe(0);
      }
    });

    it("an edit is activity too", async () => {
      const post = await ok(await create(bob, group, { title: "Bewerkt", text: "Eerst" }));
      const edited = await ok(await api.request<PleinContent>("PATCH", `${V1}/posts/${post.id}`, { token: bob.token, json: { text: "Later" } }));
      expect(fieldsOf(edited).last_activity_at).toBe(edited.edited_at);
    });

    it("a comment waiting for approval counts for the moderators and its author only", async () => {
      const g = await newGroup(anna, { name: `${module}_mod`, visibility: "public", join_mode: "open", moderate_comments: true });
      await join(bob, g);
      await join(carol, g);
      const post = await ok(await create(anna, g, { title: "Beoordeeld", text: "Reacties wachten" }));
      const waiting = await comment(bob, post.id, "Wacht op goedkeuring");
      expect(waiting.moderation).toBe("pending");
      expect(fieldsOf(await ok(await get(anna, post.id)))).toEqual({ comments_count: 1, last_activity_at: waiting.created_at });
      expect(fieldsOf(await ok(await get(bob, post.id))).comments_count).toBe(1);
      for (const viewer of [carol, dirk, null]) {
        expect(fieldsOf(await ok(await get(viewer, post.id)))).toEqual({ comments_count: 0, last_activity_at: post.created_at });
      }
    });

    it("in a closed group, only members see the post and its counts", async () => {
      const g = await newGroup(anna, { name: `${module}_closed`, visibility: "closed", join_mode: "open" });
      await join(bob, g);
      const post = await ok(await create(bob, g, { title: "Besloten", text: "Alleen voor leden" }));
      await comment(anna, post.id, "Gezien");
      expect(fieldsOf(await ok(await get(anna, post.id))).comments_count).toBe(1);
      expect((await get(dirk, post.id)).status).toBe(404);
      expect((await get(null, post.id)).status).toBe(404);
    });
  });
}
