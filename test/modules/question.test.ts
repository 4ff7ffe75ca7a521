/**
 * The question module through Plein's API, on one instance: answers are
 * comments on the question; the asker or a moderator of the group accepts
 * one, changes or clears the choice; nobody else can; every malformed or
 * misdirected request is a 4xx that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleinContent, PleinGroup } from "../../src/api/plein/entities.ts";
import { type Api, type ApiError, startApi, type User } from "../api/support.ts";

const V1 = "/api/plein/v1";

interface QuestionFields {
  accepted_answer_id: string | null;
  accepted_answer_uri: string | null;
  accepted_by: string | null;
  accepted_at: string | null;
  answers_count: number;
  comments_count: number;
  last_activity_at: string;
}

let api: Api;
let anna: User; // owns the groups
let bob: User; // asks
let carol: User; // answers
let dirk: User; // member, no moderator
let erik: User; // no member
let group: PleinGroup;

async function ok<T>(res: { status: number; text: string; body: T }, status = 200): Promise<T> {
  expect(res.status, res.text).toBe(status);
  return res.body;
}

async function newGroup(fields: Record<string, unknown>): Promise<PleinGroup> {
  return ok(await api.request<PleinGroup>("POST", `${V1}/groups`, { token: anna.token, json: fields }));
}

async function join(user: User, g: PleinGroup): Promise<void> {
  await ok(await api.request("POST", `${V1}/groups/${g.id}/join`, { token: user.token }));
}

async function ask(user: User, g: PleinGroup, title = "Wie kent de nieuwe regeling?"): Promise<PleinContent> {
  return ok(await api.request<PleinContent>("POST", `${V1}/groups/${g.id}/posts`, { token: user.token, json: { module: "question", title, text: "Graag een bron erbij." } }));
}

async function comment(user: User, postId: string, text: string): Promise<PleinContent> {
  return ok(await api.request<PleinContent>("POST", `${V1}/posts/${postId}/comments`, { token: user.token, json: { text } }));
}

function accept(user: User, questionId: string, body: unknown) {
  return api.request<PleinContent>("POST", `${V1}/posts/${questionId}/accept`, { token: user.token, json: body });
}

function clear(user: User, questionId: string) {
  return api.request<PleinContent>("DELETE", `${V1}/posts/${questionId}/accept`, { token: user.token });
}

async function fieldsFor(user: User | null, questionId: string): Promise<QuestionFields> {
  const post = await ok(await api.request<PleinContent>("GET", `${V1}/posts/${questionId}`, user ? { token: user.token } : {}));
  return post.fields as unknown as QuestionFields;
}

const fieldsOf = (post: PleinContent) => post.fields as unknown as QuestionFields;

beforeAll(async () => {
  api = await startApi();
  [anna, bob, carol, dirk, erik] = await Promise.all([api.user("anna"), api.user("bob"), api.user("carol"), api.user("dirk"), api.user("erik")]);
  group = await newGroup({ name: "vragen", visibility: "public", join_mode: "open" });
  for (const u of [bob, carol, dirk]) await join(u, group);
});

afterAll(async () => {
  await api?.close();
});

describe("answers and the accepted one", () => {
  it("a question is a Page with a title; answers are its comments, counted apart from replies to them", async () => {
    const question = await ask(bob, group);
    expect(question).toMatchObject({ module: "question", type: "Page", title: "Wie kent de nieuwe regeling?" });
    expect(fieldsOf(question)).toMatchObject({ accepted_answer_id: null, accepted_answer_uri: null, answers_count: 0, comments_count: 0 });
    const a1 = await comment(carol, question.id, "Zie artikel 3");
    await comment(dirk, a1.id, "Klopt, en artikel 4");
    await comment(anna, question.id, "Vraag het de jurist");
    expect(await fieldsFor(erik, question.id)).toMatchObject({ answers_count: 2, comments_count: 3, accepted_answer_id: null });
    // A question needs its title.
    const untitled = await api.request("POST", `${V1}/groups/${group.id}/posts`, { token: bob.token, json: { module: "question", text: "Zonder titel" } });
    expect(untitled.status).toBe(422);
    expect((untitled.body as ApiError).error).toMatch(/A question needs a title/);
  });

  it("the asker accepts an answer, changes it, and clears it; a moderator may too", async () => {
    const question = await ask(bob, group);
    const a1 = await comment(carol, question.id, "Antwoord van carol");
    const a2 = await comment(dirk, question.id, "Antwoord van dirk");
    const accepted = await ok(await accept(bob, question.id, { answer_id: a1.id }));
    expect(fieldsOf(accepted)).toMatchObject({ accepted_answer_id: a1.id, accepted_answer_uri: a1.uri, accepted_by: bob.id, answers_count: 2 });
    expect(Date.parse(fieldsOf(accepted).accepted_at!)).not.toBeNaN();
    // Everyone sees the same choice, signed in or not.
    expect((await fieldsFor(erik, question.id)).accepted_answer_id).toBe(a1.id);
    expect((await fieldsFor(null, question.id)).accepted_answer_id).toBe(a1.id);
    // The same answer again changes nothing (its time stays).
    const again = await ok(await accept(bob, question.id, { answer_id: a1.id }));
    expect(fieldsOf(again).accepted_at).toBe(fieldsOf(accepted).accepted_at);
    // A moderator (the owner) changes it; the asker clears it, twice (the second is a no-op).
    const changed = await ok(await accept(anna, question.id, { answer_id: a2.id }));
    expect(fieldsOf(changed)).toMatchObject({ accepted_answer_id: a2.id, accepted_by: anna.id });
    for (let i = 0; i < 2; i++) {
      const cleared = await ok(await clear(bob, question.id));
      expect(fieldsOf(cleared)).toMatchObject({ accepted_answer_id: null, accepted_answer_uri: null, accepted_by: null, accepted_at: null });
    }
    // A moderator made after the fact may decide as well.
    const moderator = await api.request("PUT", `${V1}/groups/${group.id}/members/${dirk.id}/role`, { token: anna.token, json: { role: "moderator" } });
    expect(moderator.status, moderator.text).toBe(200);
    expect(fieldsOf(await ok(await accept(dirk, question.id, { answer_id: a1.id }))).accepted_by).toBe(dirk.id);
    await ok(await api.request("PUT", `${V1}/groups/${group.id}/members/${dirk.id}/role`, { token: anna.token, json: { role: "member" } }));
  });

  it("nobody else chooses: not another member, not a stranger; the choice stays", async () => {
    const question = await ask(bob, group);
    const a1 = await comment(carol, question.id, "Een antwoord");
    const a2 = await comment(dirk, question.id, "Mijn eigen antwoord");
    await ok(await accept(bob, question.id, { answer_id: a1.id }));
    for (const [user, body] of [[dirk, { answer_id: a2.id }], [carol, { answer_id: a1.id }], [erik, { answer_id: a2.id }]] as const) {
      const res = await accept(user, question.id, body);
      expect(res.status).toBe(403);
      expect((res.body as unknown as ApiError).error).toMatch(/Only the asker or a moderator/);
      expect((await clear(user, question.id)).status).toBe(403);
    }
    expect((await fieldsFor(erik, question.id)).accepted_answer_id).toBe(a1.id);
  });

  it("an answer must be a comment on this very question, approved and still there", async () => {
    const question = await ask(bob, group);
    const other = await ask(bob, group, "Een andere vraag");
    const elsewhere = await comment(carol, other.id, "Antwoord op de andere vraag");
    const answer = await comment(carol, question.id, "Antwoord");
    const nested = await comment(dirk, answer.id, "Een reactie op het antwoord");
    const gone = await comment(dirk, question.id, "Dit trek ik in");
    await ok(await api.request("DELETE", `${V1}/posts/${gone.id}`, { token: dirk.token }));
    const cases: Array<[unknown, RegExp]> = [
      [{}, /answer_id is required/],
      [{ answer_id: "" }, /answer_id is required/],
      [{ answer_id: "abc" }, /answer_id must be an id/],
      [{ answer_id: ["1", "2"] }, /answer_id must be an id/],
      [{ answer_id: { id: answer.id } }, /answer_id must be an id/],
      [{ answer_id: "99999999999999999999" }, /answer_id must be an id/],
      [{ answer_id: "999999999" }, /not an answer to this question/],
      [{ answer_id: question.id }, /not an answer to this question/],
      [{ answer_id: elsewhere.id }, /not an answer to this question/],
      [{ answer_id: nested.id }, /not an answer to this question/],
      [{ answer_id: gone.id }, /not an answer to this question/],
    ];
    for (const [body, error] of cases) {
      const res = await accept(bob, question.id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((res.body as unknown as ApiError).error).toMatch(error);
    }
    expect((await fieldsFor(bob, question.id)).accepted_answer_id).toBeNull();
    // Not JSON at all.
    const raw = await api.request("POST", `${V1}/posts/${question.id}/accept`, { token: bob.token, body: "{not json", contentType: "application/json" });
    expect(raw.status).toBeGreaterThanOrEqual(400);
    expect(raw.status).toBeLessThan(500);
  });

  it("only a question has an accepted answer; an unknown or hidden question is a 404", async () => {
    const discussion = await ok(await api.request<PleinContent>("POST", `${V1}/groups/${group.id}/posts`, {
      token: bob.token, json: { module: "discussion", title: "Een discussie", text: "Praat mee" },
    }));
    const reply = await comment(carol, discussion.id, "Een reactie");
    const res = await accept(bob, discussion.id, { answer_id: reply.id });
    expect(res.status).toBe(422);
    expect((res.body as unknown as ApiError).error).toMatch(/Only a question has an accepted answer/);
    expect((await accept(bob, "999999999", { answer_id: reply.id })).status).toBe(404);
    expect((await accept(bob, "not-an-id", { answer_id: reply.id })).status).toBe(404);
    const closed = await newGroup({ name: "besloten_vragen", visibility: "closed", join_mode: "open" });
    await join(bob, closed);
    const hidden = await ask(bob, closed);
    const hiddenAnswer = await comment(anna, hidden.id, "Voor leden");
    expect((await accept(erik, hidden.id, { answer_id: hiddenAnswer.id })).status).toBe(404);
    expect((await clear(erik, hidden.id)).status).toBe(404);
    // Without a token, or with a read-only one.
    expect((await api.request("POST", `${V1}/posts/${hidden.id}/accept`, { json: { answer_id: hiddenAnswer.id } })).status).toBe(401);
    const readOnly = await api.token(bob, ["read"]);
    expect((await api.request("POST", `${V1}/posts/${hidden.id}/accept`, { token: readOnly, json: { answer_id: hiddenAnswer.id } })).status).toBe(403);
  });

  it("an accepted answer that is deleted, or waits for approval, shows as none", async () => {
    const question = await ask(bob, group);
    const answer = await comment(carol, question.id, "Straks weg");
    await ok(await accept(bob, question.id, { answer_id: answer.id }));
    await ok(await api.request("DELETE", `${V1}/posts/${answer.id}`, { token: carol.token }));
    expect(await fieldsFor(bob, question.id)).toMatchObject({ accepted_answer_id: null, accepted_answer_uri: null, answers_count: 0 });
    // A pending comment cannot be accepted.
    const moderated = await newGroup({ name: "gemodereerd", visibility: "public", join_mode: "open", moderate_comments: true });
    await join(bob, moderated);
    await join(carol, moderated);
    const q2 = await ask(bob, moderated);
    const waiting = await comment(carol, q2.id, "Wacht nog");
    expect(waiting.moderation).toBe("pending");
    const res = await accept(anna, q2.id, { answer_id: waiting.id });
    expect(res.status).toBe(422);
  });

  it("the OpenAPI document describes the accept routes and the question's fields", async () => {
    const doc = await ok(await api.request<{ paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties: object; required?: string[] }> } }>(
      "GET", `${V1}/openapi.json`));
    expect(Object.keys(doc.paths["/posts/{id}/accept"]!).sort()).toEqual(["delete", "post"]);
    expect(Object.keys(doc.components.schemas["module.question.fields"]!.properties)).toEqual(expect.arrayContaining([
      "accepted_answer_id", "accepted_answer_uri", "accepted_by", "accepted_at", "answers_count",
    ]));
    expect(doc.components.schemas["module.question.input"]!.required).toEqual(["title"]);
  });
});
