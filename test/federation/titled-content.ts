/**
 * Titled content (discussions, blog posts) across four real instances, as
 * one suite each module's test file runs: A hosts a closed group (anna owns
 * it), bram on B posts, cato on C comments and anna answers cato; the post
 * and its fields are the same on A, B and C, an edit of its title reaches
 * them all, and D (dirk follows bram, is no member) gets nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { closedGroupOfFour, startFourServers } from "../support/four-servers.ts";
import { signedFetchObject } from "../support/mastodon.ts";
import {
  comment,
  type PleinContent,
  type PleinGroup,
  postInGroup,
  waitForGroupPost,
} from "../support/plein.ts";

const V1 = "/api/plein/v1";

interface ThreadFields {
  comments_count: number;
  last_activity_at: string;
}

export function titledContentAcrossServers(module: string, type: "Page" | "Article"): void {
  let instances: TestInstance[];
  let C: TestInstance;
  let D: TestInstance;
  let anna: TestUser;
  let bram: TestUser;
  let cato: TestUser;
  let group: PleinGroup;
  let onB: PleinGroup;
  let onC: PleinGroup;
  let post: PleinContent;
  let replies: PleinContent[] = [];

  const everywhere = () => [
    { user: anna, groupId: group.id },
    { user: bram, groupId: onB.id },
    { user: cato, groupId: onC.id },
  ];

  async function seenBy(user: TestUser, groupId: string, uri: string): Promise<PleinContent> {
    const listed = await waitForGroupPost(user, groupId, uri);
    const res = await user.api.get<PleinContent>(`${V1}/posts/${listed.id}`);
    expect(res.status, res.text).toBe(200);
    return res.body;
  }

  beforeAll(async () => {
    const servers = await startFourServers();
    ({ instances, C, D, anna, bram, cato } = servers);
    ({ group, onB, onC } = await closedGroupOfFour(servers, { name: `${module}_closed` }));
  });

  afterAll(async () => {
    await closeInstances(instances);
  });

  describe(`${module} across servers`, () => {
    it(`posted on B, it reaches A and C as a ${type} with its title, text and warning`, async () => {
      post = await postInGroup(bram, onB.id, { module, title: "Samenwerken over de grens", text: "Hoe pakken jullie dit aan?", summary: "Lang verhaal" });
      expect(post).toMatchObject({ module, type, visibility: "group", title: "Samenwerken over de grens", summary: "Lang verhaal" });
      for (const { user, groupId } of everywhere()) {
        const seen = await seenBy(user, groupId, post.uri);
        expect(seen).toMatchObject({ module, type, title: "Samenwerken over de grens", summary: "Lang verhaal", visibility: "group" });
        expect(seen.content).toContain("Hoe pakken jullie dit aan?");
        expect(seen.fields).toEqual({ comments_count: 0, last_activity_at: post.created_at });
      }
    });

    it("comments from C and A count everywhere, with the same last activity", async () => {
      const onCPost = await seenBy(cato, onC.id, post.uri);
      const fromC = await comment(cato, onCPost.id, "Via een convenant");
      const onAReply = await seenBy(anna, group.id, fromC.uri);
      const fromA = await comment(anna, onAReply.id, "Welk convenant?");
      replies = [fromC, fromA];
      for (const { user, groupId } of everywhere()) {
        for (const r of replies) await waitForGroupPost(user, groupId, r.uri);
        await waitFor(async () => {
          const fields = (await seenBy(user, groupId, post.uri)).fields as unknown as ThreadFields;
          expect(fields).toEqual({ comments_count: 2, last_activity_at: fromA.created_at });
          return true;
        }, { message: `two comments on ${user.handle}'s server` });
      }
    });

    it("an edit of the title on B reaches A and C", async () => {
      const edited = await bram.api.patch<PleinContent>(`${V1}/posts/${post.id}`, { title: "Samenwerken over de grens (vervolg)" });
      expect(edited.status, edited.text).toBe(200);
      for (const { user, groupId } of everywhere()) {
        await waitFor(async () => (await seenBy(user, groupId, post.uri)).title === "Samenwerken over de grens (vervolg)",
          { message: `the new title on ${user.handle}'s server` });
      }
    });

    it("nothing of it reaches D, which cannot fetch it", async () => {
      await settle(instances);
      for (const p of [post, ...replies]) {
        expect(await D.db.selectFrom("posts").select("id").where("iri", "=", p.uri).executeTakeFirst()).toBeUndefined();
        for (const signer of [D.host, "dirk"]) expect((await signedFetchObject(D, signer, p.uri)).status).toBe(404);
      }
      expect((await signedFetchObject(C, C.host, post.uri)).status).toBe(200);
    });
  });
}
