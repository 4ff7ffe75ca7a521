import type { Block, Flag } from "@fedify/vocab";
import { receiveBlock } from "../../src/domain/blocks.ts";
import { findGroup } from "../../src/domain/groups.ts";
import { getPostByIri } from "../../src/domain/posts/read.ts";
import { findActorByIri } from "../../src/domain/remote-actors.ts";
import { receiveReport } from "../../src/domain/reports.ts";
import { isLocalUrl } from "../remote.ts";
import { remoteText } from "../translate/inbound.ts";
import { type Handler, ignore } from "./common.ts";

const MAX_FLAG_OBJECTS = 100;

/** A remote actor blocks a local one. */
export const onBlock: Handler<Block> = async (ctx, activity, actor, activityIri) => {
  const objectId = activity.objectId;
  if (!objectId || !isLocalUrl(ctx.data.config, objectId)) ignore("the Block's object is not local");
  const target = await findActorByIri(ctx.data.db, objectId.href);
  if (!target?.local) ignore("no such local actor");
  await receiveBlock(ctx.data.db, actor, target, activityIri);
};

/**
 * A remote server reports local accounts, local posts, or posts made in one
 * of our groups: stored as a report for the group's moderators and our admins.
 */
export const onFlag: Handler<Flag> = async (ctx, activity, actor, activityIri) => {
  const { db, config } = ctx.data;
  let targetId: string | null = null;
  const postIds: string[] = [];
  for (const id of activity.objectIds.slice(0, MAX_FLAG_OBJECTS)) {
    const post = await getPostByIri(db, id.href);
    const inOurGroup = post?.group_id ? (await findGroup(db, post.group_id))?.actor.local === true : false;
    if (post && (post.local || inOurGroup)) {
      postIds.push(post.id);
      targetId ??= post.actor_id;
      continue;
    }
    if (!isLocalUrl(config, id)) continue;
    const account = await findActorByIri(db, id.href);
    if (account?.local) targetId = account.id;
  }
  if (targetId === null && postIds.length === 0) ignore("the report names nothing of ours");
  const content = activity.content;
  await receiveReport(db, actor, {
    targetId,
    postIds,
    comment: remoteText(content === null ? null : content.toString(), 5_000),
    activityIri,
  });
};
