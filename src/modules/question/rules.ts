/**
 * The accepted answer of a question: who may choose it, and how every server
 * comes to the same choice.
 *
 * An answer is a comment on the question (a direct reply). The question's
 * asker or a moderator of its group accepts one, changes it, or clears it.
 * The group decides: its server checks who asks and records the choice, and
 * the group tells its members' servers (which record what the group says,
 * newest decision first). A person on another server than the group's asks
 * the group (their server records nothing until the group answers). No
 * HTTP or ActivityPub here: src/modules/question/activities.ts translates.
 */
import type { Db } from "../../db/database.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { forbidden, invalid, notFound } from "../../domain/errors.ts";
import { findGroup, type GroupView } from "../../domain/groups.ts";
import { enqueueDelivery } from "../../domain/jobs.ts";
import { isMember, isModerator, membershipOf } from "../../domain/membership.ts";
import { getPostByIri } from "../../domain/posts/read.ts";
import { newActivityIriOf } from "../../domain/urls.ts";
import { visibleTo, type Viewer } from "../../domain/visibility.ts";
import { type QuestionAnswer, questionDb } from "./schema.ts";

export const QUESTION_MODULE = "question";

/** Accept (this answer) or clear (the answer named is the one no longer accepted). */
export type DecisionKind = "accept" | "clear";

/** A decision as it travels: which answer, by whom, when the group took it, and the activity that made it. */
export interface Decision {
  kind: DecisionKind;
  /** the accepted answer (accept), or the answer whose acceptance is cleared (clear) */
  answerIri: string;
  acceptorIri: string;
  activityIri: string;
  at: Date;
}

/** What a decision by a local person came to: recorded (the group is ours) or sent to the group, which decides. */
export type DecisionOutcome = "recorded" | "sent" | "unchanged";

export function isQuestion(post: Post): boolean {
  return post.module === QUESTION_MODULE && post.reblog_of_id === null;
}

export async function currentAnswer(db: Db, questionId: string): Promise<QuestionAnswer | undefined> {
  return questionDb(db).selectFrom("question_answers").selectAll().where("post_id", "=", questionId).executeTakeFirst();
}

/** The question and its group, or why there is no accepted answer to choose. */
async function questionGroup(db: Db, question: Post): Promise<GroupView> {
  if (!isQuestion(question) || question.deleted_at) throw invalid("Only a question has an accepted answer");
  if (!question.group_id) throw invalid("Only a question in a group has an accepted answer");
  const group = await findGroup(db, question.group_id);
  if (!group) throw notFound();
  return group;
}

/** An answer is a comment on the question itself, still there and approved. */
function checkAnswer(question: Post, answer: Post): void {
  if (answer.in_reply_to_id !== question.id || answer.deleted_at || answer.moderation !== "approved" || answer.reblog_of_id) {
    throw invalid("answer_id is not an answer to this question (a comment on it)");
  }
}

async function mayDecide(db: Db, group: GroupView, question: Post, actor: Actor): Promise<boolean> {
  return actor.id === question.actor_id || isModerator(await membershipOf(db, group.actor.id, actor.id));
}

/** A decision never goes back in time, whatever the clock did: it is later than the one it replaces. */
function nextTime(current: QuestionAnswer | undefined): Date {
  const now = new Date();
  return current && current.decided_at.getTime() >= now.getTime() ? new Date(current.decided_at.getTime() + 1) : now;
}

/** Stores a decision unless a later one is stored already. True when it was stored. */
async function record(trx: Db, questionId: string, decision: Decision, acceptorId: string | null): Promise<boolean> {
  const accepted = decision.kind === "accept";
  const values = {
    answer_iri: accepted ? decision.answerIri : null,
    accepted_by: accepted ? acceptorId : null,
    accepted_at: accepted ? decision.at : null,
    decided_at: decision.at,
    activity_iri: decision.activityIri,
  };
  const row = await questionDb(trx).insertInto("question_answers").values({ post_id: questionId, ...values })
    .onConflict((oc) => oc.column("post_id").doUpdateSet(values).where("question_answers.decided_at", "<", decision.at))
    .returning("post_id").executeTakeFirst();
  return row !== undefined;
}

/**
 * The group's redistribution of a decision to its members' servers (an
 * Announce of the Accept or Reject), queued with the group's other
 * deliveries, so that members hear of an answer before its acceptance.
 */
export interface AnnouncePayload extends Record<string, unknown> {
  kind: "announce";
  questionId: string;
  decision: DecisionKind;
  answerIri: string;
  acceptorIri: string;
  activityIri: string;
  at: string;
  id: string;
}

/** A local person's Accept or Reject sent to the question's group on another server. */
export interface SendPayload extends Record<string, unknown> {
  kind: "send";
  questionId: string;
  decision: DecisionKind;
  answerIri: string;
  actorId: string;
  id: string;
  at: string;
}

/** Records a decision of the group's own server and queues the group's Announce of it, in one transaction. */
async function recordAndAnnounce(db: Db, group: GroupView, question: Post, decision: Decision, acceptorId: string | null): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await record(trx, question.id, decision, acceptorId))) return false;
    const payload: AnnouncePayload = {
      kind: "announce", questionId: question.id, decision: decision.kind, answerIri: decision.answerIri,
      acceptorIri: decision.acceptorIri, activityIri: decision.activityIri, at: decision.at.toISOString(),
      id: newActivityIriOf(group.actor, "announce"),
    };
    await enqueueDelivery(trx, { type: "module", module: QUESTION_MODULE, payload }, group.actor.id);
    return true;
  });
}

/**
 * A local person accepts `answer` (or, with null, clears the choice). In a
 * group of this server the choice is checked and recorded at once, and the
 * group tells its members' servers. In a group elsewhere, the asker (or a
 * member who may be one of its moderators: only the group knows) asks the
 * group, which decides and tells every member's server, this one included.
 */
export async function decide(db: Db, question: Post, answer: Post | null, by: Actor): Promise<DecisionOutcome> {
  const group = await questionGroup(db, question);
  // Here, the group's server knows its moderators; elsewhere only the asker is
  // certain, and a member may be a moderator: the group will tell.
  const allowed = group.actor.local
    ? await mayDecide(db, group, question, by)
    : by.id === question.actor_id || isMember(await membershipOf(db, group.actor.id, by.id));
  if (!allowed) throw forbidden("Only the asker or a moderator of the group chooses the accepted answer");
  if (answer) checkAnswer(question, answer);
  const current = await currentAnswer(db, question.id);
  if (answer === null && !current?.answer_iri) return "unchanged";
  if (answer !== null && current?.answer_iri === answer.iri) return "unchanged";
  const kind: DecisionKind = answer ? "accept" : "clear";
  const answerIri = answer?.iri ?? current!.answer_iri!;
  const activityIri = newActivityIriOf(by, kind === "accept" ? "accept" : "reject");
  if (group.actor.local) {
    const recorded = await recordAndAnnounce(db, group, question, { kind, answerIri, acceptorIri: by.iri, activityIri, at: nextTime(current) }, by.id);
    return recorded ? "recorded" : "unchanged";
  }
  const payload: SendPayload = {
    kind: "send", questionId: question.id, decision: kind, answerIri, actorId: by.id, id: activityIri, at: new Date().toISOString(),
  };
  await db.transaction().execute((trx) => enqueueDelivery(trx, { type: "module", module: QUESTION_MODULE, payload }, by.id));
  return "sent";
}

/** The question a decision is about: the one it names, else the one the answer answers. Undefined when none. */
export async function questionOfDecision(db: Db, targetIri: string | null, answerIri: string | null): Promise<Post | undefined> {
  if (targetIri) {
    const target = await getPostByIri(db, targetIri);
    return target && isQuestion(target) ? target : undefined;
  }
  if (!answerIri) return undefined;
  const answer = await getPostByIri(db, answerIri);
  if (!answer?.in_reply_to_id) return undefined;
  const question = await db.selectFrom("posts").selectAll().where("id", "=", answer.in_reply_to_id).executeTakeFirst();
  return question && isQuestion(question) ? question : undefined;
}

/**
 * The question's group is ours and someone of another server decides (their
 * Accept or Reject, signed by them): the asker or one of the group's
 * moderators, about an answer to the question. Anyone else is refused.
 */
export async function receiveDecision(db: Db, question: Post, kind: DecisionKind, answerIri: string, acceptor: Actor, activityIri: string): Promise<boolean> {
  const group = await questionGroup(db, question);
  if (!group.actor.local) throw forbidden("A question's accepted answer is chosen through its group");
  if (!(await mayDecide(db, group, question, acceptor))) throw forbidden("Only the asker or a moderator of the group chooses the accepted answer");
  const current = await currentAnswer(db, question.id);
  if (kind === "accept") {
    const answer = await getPostByIri(db, answerIri);
    if (!answer) throw invalid("The accepted answer is not known here");
    checkAnswer(question, answer);
    if (current?.answer_iri === answerIri) return false;
  } else if (current?.answer_iri !== answerIri) {
    return false;
  }
  return recordAndAnnounce(db, group, question, { kind, answerIri, acceptorIri: acceptor.iri, activityIri, at: nextTime(current) }, acceptor.id);
}

/**
 * The question's group (on another server) tells us its decision. Only that
 * group speaks for its questions; a decision older than the one stored is
 * left alone. The acceptor was checked by the caller (asker, or a moderator
 * as the group lists them); the answer, when known here, must answer the question.
 */
export async function receiveGroupDecision(db: Db, question: Post, group: Actor, decision: Decision, acceptorId: string | null): Promise<boolean> {
  if (!isQuestion(question) || question.group_id !== group.id || group.local) throw forbidden("Only the question's group speaks for it");
  if (decision.kind === "accept") {
    const answer = await getPostByIri(db, decision.answerIri);
    if (answer) checkAnswer(question, answer);
  }
  return db.transaction().execute((trx) => record(trx, question.id, decision, acceptorId));
}

/* ---------------- what readers see ---------------- */

export interface QuestionFields {
  accepted_answer_id: string | null;
  accepted_answer_uri: string | null;
  accepted_by: string | null;
  accepted_at: string | null;
  answers_count: number;
}

/**
 * The accepted answer and the number of answers of each question, as
 * `viewer` may see them. An accepted answer that is stored but hidden from
 * the viewer (deleted, waiting, not theirs to read) shows as none; one not
 * yet received here shows by its id only.
 */
export async function questionFields(db: Db, questions: readonly Post[], viewer: Viewer): Promise<Map<string, QuestionFields>> {
  const ids = questions.map((q) => q.id);
  const out = new Map<string, QuestionFields>(ids.map((id) => [id, {
    accepted_answer_id: null, accepted_answer_uri: null, accepted_by: null, accepted_at: null, answers_count: 0,
  }]));
  if (ids.length === 0) return out;
  const [accepted, counts] = await Promise.all([
    questionDb(db).selectFrom("question_answers").selectAll()
      .where("post_id", "in", ids).where("answer_iri", "is not", null).execute(),
    db.selectFrom("posts").select((eb) => ["posts.in_reply_to_id", eb.fn.countAll<string>().as("n")])
      .where("posts.in_reply_to_id", "in", ids).where(visibleTo(viewer))
      .groupBy("posts.in_reply_to_id").execute(),
  ]);
  for (const c of counts) out.get(c.in_reply_to_id!)!.answers_count = Number(c.n);
  const iris = accepted.map((a) => a.answer_iri!);
  const stored = iris.length === 0 ? [] : await db.selectFrom("posts").select(["posts.id", "posts.iri", "posts.in_reply_to_id"])
    .where("posts.iri", "in", iris).execute();
  const visible = iris.length === 0 ? [] : await db.selectFrom("posts").select(["posts.iri"])
    .where("posts.iri", "in", iris).where(visibleTo(viewer)).execute();
  const visibleIris = new Set(visible.map((v) => v.iri));
  for (const a of accepted) {
    const fields = out.get(a.post_id)!;
    const answer = stored.find((s) => s.iri === a.answer_iri);
    if (answer && (!visibleIris.has(answer.iri) || answer.in_reply_to_id !== a.post_id)) continue;
    fields.accepted_answer_id = answer?.id ?? null;
    fields.accepted_answer_uri = a.answer_iri;
    fields.accepted_by = a.accepted_by;
    fields.accepted_at = a.accepted_at?.toISOString() ?? null;
  }
  return out;
}

/** A post by id that `viewer` may see, or undefined (absent and hidden alike). */
export async function visiblePost(db: Db, viewer: Viewer, id: string): Promise<Post | undefined> {
  return db.selectFrom("posts").selectAll("posts").where("posts.id", "=", id).where(visibleTo(viewer)).executeTakeFirst();
}
