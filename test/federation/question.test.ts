/**
 * Questions across four real instances, driven through Plein's API: A hosts
 * a closed group (anna owns it), bram on B asks, anna (A) and cato (C)
 * answer; the accepted answer, whoever chooses it, is the same on A, B and
 * C; someone who is neither the asker nor a moderator is refused by the
 * group; D (dirk follows bram, is no member) gets nothing of it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { followAndWait, signedFetchObject } from "../support/mastodon.ts";
import {
  comment,
  createGroup,
  groupOn,
  joinGroup,
  members,
  type PleinContent,
  type PleinGroup,
  postInGroup,
  waitForGroupPost,
  waitForMembership,
} from "../support/plein.ts";

const V1 = "/api/plein/v1";

interface QuestionFields {
  accepted_answer_id: string | null;
  accepted_answer_uri: string | null;
  accepted_by: string | null;
  answers_count: number;
}

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let C: TestInstance;
let D: TestInstance;
let anna: TestUser;
let aart: TestUser; // a member on A, no moderator
let bram: TestUser;
let cato: TestUser;
let dirk: TestUser;
let group: PleinGroup;
let onB: PleinGroup;
let onC: PleinGroup;
let question: PleinContent; // on B
let answerByAnna: PleinContent; // on A
let answerByCato: PleinContent; // on C

/** Each of A, B and C with its user and the group as it knows it. */
const everywhere = () => [
  { user: anna, groupId: group.id },
  { user: bram, groupId: onB.id },
  { user: cato, groupId: onC.id },
];

/** The question's fields on `user`'s instance. */
async function fieldsOn(user: TestUser, groupId: string): Promise<QuestionFields & { questionId: string }> {
  const local = await waitForGroupPost(user, groupId, question.uri);
  const res = await user.api.get<PleinContent>(`${V1}/posts/${local.id}`);
  expect(res.status, res.text).toBe(200);
  return { ...res.body.fields as unknown as QuestionFields, questionId: local.id };
}

/** The local id of a post (by uri) on `user`'s instance. */
async function localId(user: TestUser, groupId: string, uri: string): Promise<string> {
  return (await waitForGroupPost(user, groupId, uri)).id;
}

/** The account id of `who` as `viewer`'s instance knows it. */
async function accountOn(viewer: TestUser, who: TestUser): Promise<string> {
  const res = await viewer.api.get<{ accounts: Array<{ id: string; acct: string }> }>("/api/v2/search", { q: who.handle, resolve: true, type: "accounts" });
  const bare = (acct: string) => acct.includes("@") ? acct : `${acct}@${new URL(viewer.api.origin).host}`;
  const found = res.body.accounts.find((a) => bare(a.acct) === who.handle);
  if (!found) throw new Error(`${viewer.handle} does not know ${who.handle}`);
  return found.id;
}

/** Waits until A, B and C all show `answer` (or none) as accepted, by `by`. */
async function agreeOn(answer: PleinContent | null, by: TestUser | null): Promise<void> {
  for (const { user, groupId } of everywhere()) {
    const expectedId = answer ? await localId(user, groupId, answer.uri) : null;
    const expectedBy = by ? await accountOn(user, by) : null;
    await waitFor(async () => {
      const f = await fieldsOn(user, groupId);
      expect(f).toMatchObject({ accepted_answer_id: expectedId, accepted_answer_uri: answer?.uri ?? null, accepted_by: expectedBy });
      return true;
    }, { message: `${user.handle} shows ${answer?.uri ?? "no"} accepted answer` });
  }
}

function accept(user: TestUser, questionId: string, answerId: string) {
  return user.api.post<PleinContent>(`${V1}/posts/${questionId}/accept`, { answer_id: answerId });
}

beforeAll(async () => {
  instances = await startInstances(4);
  [A, B, C, D] = instances as [TestInstance, TestInstance, TestInstance, TestInstance];
  anna = await A.createUser("anna");
  aart = await A.createUser("aart");
  bram = await B.createUser("bram");
  cato = await C.createUser("cato");
  dirk = await D.createUser("dirk");
  group = await createGroup(anna, { name: "vraagbaak", display_name: "Vraagbaak", visibility: "closed", join_mode: "open" });
  onB = await groupOn(bram, `${group.account.username}@${A.host}`);
  onC = await groupOn(cato, `${group.account.username}@${A.host}`);
  await joinGroup(bram, onB);
  await joinGroup(cato, onC);
  await joinGroup(aart, group);
  await waitForMembership(bram, onB.id, "member");
  await waitForMembership(cato, onC.id, "member");
  await followAndWait(dirk, bram.handle);
});

afterAll(async () => {
  await closeInstances(instances);
});

describe("a question in a group on another server", () => {
  it("asked on B, it reaches A and C as a question with its title", async () => {
    question = await postInGroup(bram, onB.id, { module: "question", title: "Welke termijn geldt voor bezwaar?", text: "Zes of acht weken?" });
    expect(question).toMatchObject({ module: "question", type: "Page", visibility: "group" });
    for (const { user, groupId } of everywhere()) {
      const seen = await waitForGroupPost(user, groupId, question.uri);
      expect(seen).toMatchObject({ module: "question", type: "Page", title: "Welke termijn geldt voor bezwaar?", visibility: "group" });
      expect(seen.content).toContain("Zes of acht weken?");
    }
  });

  it("answers from A and C reach every member's server, and count as answers there", async () => {
    const onA = await localId(anna, group.id, question.uri);
    const onCQuestion = await localId(cato, onC.id, question.uri);
    answerByAnna = await comment(anna, onA, "Zes weken, artikel 6:7 Awb");
    answerByCato = await comment(cato, onCQuestion, "Zes weken na bekendmaking");
    for (const { user, groupId } of everywhere()) {
      for (const answer of [answerByAnna, answerByCato]) await waitForGroupPost(user, groupId, answer.uri);
      await waitFor(async () => (await fieldsOn(user, groupId)).answers_count === 2, { message: `two answers on ${user.handle}'s server` });
    }
  });

  it("the asker accepts C's answer: the group decides, and A, B and C all show it", async () => {
    const { questionId } = await fieldsOn(bram, onB.id);
    const res = await accept(bram, questionId, await localId(bram, onB.id, answerByCato.uri));
    // The group is on A: B asks it and shows the choice once the group has told it.
    expect(res.status, res.text).toBe(202);
    await agreeOn(answerByCato, bram);
  });

  it("someone who is neither the asker nor a moderator is refused: by A's API, and by the group when asked from C", async () => {
    const onA = await fieldsOn(aart, group.id);
    const denied = await accept(aart, onA.questionId, await localId(aart, group.id, answerByAnna.uri));
    expect(denied.status).toBe(403);
    // cato's server cannot know whether cato moderates the group: it asks, and the group says no.
    const { questionId } = await fieldsOn(cato, onC.id);
    const asked = await accept(cato, questionId, await localId(cato, onC.id, answerByAnna.uri));
    expect(asked.status, asked.text).toBe(202);
    const cleared = await cato.api.delete(`${V1}/posts/${questionId}/accept`);
    expect(cleared.status, cleared.text).toBe(202);
    await settle(instances);
    await agreeOn(answerByCato, bram);
  });

  it("a moderator on the group's server changes the choice, everywhere", async () => {
    const onA = await fieldsOn(anna, group.id);
    const res = await accept(anna, onA.questionId, await localId(anna, group.id, answerByAnna.uri));
    expect(res.status, res.text).toBe(200);
    await agreeOn(answerByAnna, anna);
  });

  it("a moderator on a third server decides through the group, which lists it as moderator", async () => {
    const catoOnA = (await members(anna, group.id)).find((m) => m.account.acct === cato.handle)!.account.id;
    const role = await anna.api.put(`${V1}/groups/${group.id}/members/${catoOnA}/role`, { role: "moderator" });
    expect(role.status, role.text).toBe(200);
    const { questionId } = await fieldsOn(cato, onC.id);
    const res = await accept(cato, questionId, await localId(cato, onC.id, answerByCato.uri));
    expect(res.status, res.text).toBe(202);
    await agreeOn(answerByCato, cato);
  });

  it("the asker clears the choice, everywhere", async () => {
    const { questionId } = await fieldsOn(bram, onB.id);
    const res = await bram.api.delete(`${V1}/posts/${questionId}/accept`);
    expect(res.status, res.text).toBe(202);
    await agreeOn(null, null);
  });

  it("nothing of the question, its answers or the choice reaches D, which cannot fetch them", async () => {
    await settle(instances);
    for (const post of [question, answerByAnna, answerByCato]) {
      expect(await D.db.selectFrom("posts").select("id").where("iri", "=", post.uri).executeTakeFirst()).toBeUndefined();
      for (const signer of [D.host, "dirk"]) expect((await signedFetchObject(D, signer, post.uri)).status).toBe(404);
    }
    // Members' servers may fetch the question.
    expect((await signedFetchObject(C, C.host, question.uri)).status).toBe(200);
  });
});
