/**
 * https://docs.joinmastodon.org/methods/conversations/: the threads of direct
 * posts an account takes part in (src/domain/conversations.ts). The list is
 * paged on the id of each conversation's last status, as Mastodon's Link
 * header does.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { type Conversation, hideConversation, listConversations, markConversationRead } from "../../domain/conversations.ts";
import { notFound } from "../../domain/errors.ts";
import { findActorsByIds } from "../../domain/remote-actors.ts";
import { type ApiContext, type ApiEnv, currentAccount, requireAuth, viewerOf } from "./auth.ts";
import { type MastodonAccount, renderAccounts } from "./entities/account.ts";
import { type MastodonStatus, renderStatuses } from "./entities/status.ts";
import { pageParams, pathId, queryParams, setLinkHeader } from "./params.ts";

/** https://docs.joinmastodon.org/entities/Conversation/ */
interface MastodonConversation {
  id: string;
  unread: boolean;
  accounts: MastodonAccount[];
  last_status: MastodonStatus | null;
}

async function renderConversations(c: ApiContext, conversations: Conversation[]): Promise<MastodonConversation[]> {
  const deps = c.get("deps");
  const viewer = viewerOf(c);
  const [statuses, actors] = await Promise.all([
    renderStatuses(deps, viewer, conversations.map((x) => x.lastStatus)),
    findActorsByIds(deps.db, [...new Set(conversations.flatMap((x) => x.participantIds))]),
  ]);
  const accounts = await renderAccounts(deps, actors, viewer);
  const statusById = new Map(statuses.map((s) => [s.id, s]));
  return conversations.map((x) => ({
    id: x.id,
    unread: x.unread,
    accounts: x.participantIds.flatMap((id) => accounts.get(id) ?? []),
    last_status: statusById.get(x.lastStatus.id) ?? null,
  }));
}

export function mountConversations(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/", requireAuth("read:statuses"), async (c) => {
    const conversations = await listConversations(c.get("deps").db, currentAccount(c).id, pageParams(queryParams(c)));
    setLinkHeader(c, conversations.map((x) => x.lastStatus.id));
    return c.json(await renderConversations(c, conversations));
  });

  r.delete("/:id", requireAuth("write:conversations"), async (c) => {
    if (!(await hideConversation(c.get("deps").db, currentAccount(c).id, pathId(c)))) throw notFound();
    return c.json({});
  });

  r.post("/:id/read", requireAuth("write:conversations"), async (c) => {
    const conversation = await markConversationRead(c.get("deps").db, currentAccount(c).id, pathId(c));
    if (!conversation) throw notFound();
    const [rendered] = await renderConversations(c, [conversation]);
    return c.json(rendered);
  });

  app.route("/api/v1/conversations", r);
}
