/**
 * The accepted answer over ActivityPub (docs/FEDERATION.md, "Questions"):
 *
 * - a person accepts an answer: `Accept` { actor: the person, object: the
 *   answer (a Note replying to the question), target: the question }; a
 *   choice cleared: `Reject` of the answer no longer accepted, same shape;
 * - sent to the question's group when it is on another server, which checks
 *   that the actor is the asker or one of its moderators, records it and
 *   redistributes it: an `Announce` by the Group of that Accept or Reject
 *   (embedded, `published` = when the group decided) to its members' servers;
 * - a member's server takes a decision from the question's own group only,
 *   by the asker or by someone the group lists as moderator (attributedTo),
 *   and keeps the latest by the group's time.
 */
import { Accept, type Activity, Announce, PUBLIC_COLLECTION, Reject } from "@fedify/vocab";
import { forbidden, invalid } from "../../domain/errors.ts";
import { getPost } from "../../domain/posts/read.ts";
import { findActorById, findActorByIri } from "../../domain/remote-actors.ts";
import { audience, memberAudience, readableByAnyone } from "../../domain/visibility.ts";
import type { ModuleDelivery, ModuleDeliveryContext, ModuleInboxContext } from "../module.ts";
import {
  type AnnouncePayload,
  type DecisionKind,
  questionOfDecision,
  receiveDecision,
  receiveGroupDecision,
  type SendPayload,
} from "./rules.ts";

interface DecisionValues {
  id: URL;
  actor: URL;
  object: URL;
  target: URL;
  published: Temporal.Instant;
  audience: URL;
  tos?: URL[];
}

function decisionActivity(kind: DecisionKind, values: DecisionValues): Accept | Reject {
  return kind === "accept" ? new Accept(values) : new Reject(values);
}

function text(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

function url(v: unknown): URL | null {
  const s = text(v);
  return s && URL.canParse(s) ? new URL(s) : null;
}

function instant(v: unknown): Temporal.Instant | null {
  const s = text(v);
  const ms = s ? Date.parse(s) : Number.NaN;
  return Number.isNaN(ms) ? null : Temporal.Instant.fromEpochMilliseconds(ms);
}

function decisionKind(v: unknown): DecisionKind | null {
  return v === "accept" || v === "clear" ? v : null;
}

/** Builds what rules.ts queued: the group's Announce of a decision, or a person's decision sent to the group. */
export async function deliverDecision(payload: Readonly<Record<string, unknown>>, context: ModuleDeliveryContext): Promise<ModuleDelivery | null> {
  const db = context.app.db;
  const questionId = text(payload.questionId);
  const kind = decisionKind(payload.decision);
  const answer = url(payload.answerIri);
  const at = instant(payload.at);
  const id = url(payload.id);
  if (!questionId || !kind || !answer || !at || !id) return null;
  const question = await getPost(db, questionId);
  if (!question || question.deleted_at || !question.group_id) return null;
  const group = await findActorById(db, question.group_id);
  if (!group || group.gone_at) return null;
  const groupIri = new URL(group.iri);
  if (payload.kind === "announce") {
    const p = payload as AnnouncePayload;
    const acceptor = url(p.acceptorIri);
    const activityIri = url(p.activityIri);
    if (!group.local || !acceptor || !activityIri) return null;
    const members = group.followers_url ? [new URL(group.followers_url)] : [];
    const open = readableByAnyone(question.visibility);
    const inner = decisionActivity(kind, { id: activityIri, actor: acceptor, object: answer, target: new URL(question.iri), published: at, audience: groupIri });
    if (context.sender.id !== group.id) return null;
    return {
      activity: new Announce({
        id, actor: groupIri, object: inner, published: at, audience: groupIri,
        tos: open ? [PUBLIC_COLLECTION] : members, ccs: open ? members : [],
      }),
      recipients: await memberAudience(db, group.id),
      post: question,
    };
  }
  if (payload.kind === "send") {
    const p = payload as SendPayload;
    const actor = text(p.actorId) ? await findActorById(db, p.actorId) : undefined;
    if (!actor?.local || group.local) return null;
    if (context.sender.id !== actor.id) return null;
    return {
      activity: decisionActivity(kind, {
        id, actor: new URL(actor.iri), object: answer, target: new URL(question.iri), published: at, audience: groupIri, tos: [groupIri],
      }),
      recipients: await audience(db, question.id),
      post: question,
    };
  }
  return null;
}

/**
 * An Accept or Reject about a question's answer. Directly from its signer:
 * only the question's group (ours) takes it. Redistributed by a group (the
 * signer): the group must be the question's, and the decision the asker's or
 * a moderator's as the group's own document lists them. False when it is
 * about no question here (another module's, or a Follow's).
 */
export async function receiveDecisionActivity(activity: Activity, context: ModuleInboxContext): Promise<boolean> {
  if (!(activity instanceof Accept) && !(activity instanceof Reject)) return false;
  const db = context.app.db;
  const answerIri = activity.objectId;
  const question = await questionOfDecision(db, activity.targetId?.href ?? null, answerIri?.href ?? null);
  if (!question) return false;
  if (!answerIri) throw invalid("The decision names no answer");
  const kind: DecisionKind = activity instanceof Accept ? "accept" : "clear";
  if (!context.group) {
    await receiveDecision(db, question, kind, answerIri.href, context.actor, context.activityIri);
    return true;
  }
  const actors = activity.actorIds;
  if (actors.length !== 1) throw forbidden("A decision has exactly one actor");
  const acceptorIri = actors[0]!;
  if (!activity.id || activity.id.origin !== acceptorIri.origin) throw forbidden("A decision's id is of its actor's origin");
  const published = activity.published;
  if (!published) throw forbidden("The group's decision carries no time");
  const author = await findActorById(db, question.actor_id);
  if (acceptorIri.href !== author?.iri) {
    const group = await context.fetchObject(new URL(context.group.iri));
    if (!group.attributionIds.some((a) => a.href === acceptorIri.href)) {
      throw forbidden("Only the asker or a moderator of the group chooses the accepted answer");
    }
  }
  const acceptor = await findActorByIri(db, acceptorIri.href);
  await receiveGroupDecision(db, question, context.group, {
    kind, answerIri: answerIri.href, acceptorIri: acceptorIri.href, activityIri: activity.id.href,
    at: new Date(published.epochMilliseconds),
  }, acceptor?.id ?? null);
  return true;
}
