/**
 * Who signed a request, for the visibility rule, as every surface that
 * serves our content to other servers needs to know it: the object
 * dispatchers (federation/objects.ts) and the routes outside Fedify that
 * serve files of closed groups (through the Resolver).
 */
import type { RequestContext } from "@fedify/fedify";
import type { AppContext } from "../src/context.ts";
import { remoteGroupOfPost } from "../src/domain/posts/read.ts";
import type { Viewer } from "../src/domain/visibility.ts";
import { refreshRoster } from "./roster.ts";
import { viewerFromRequest } from "./viewer.ts";

/**
 * The request's viewer (federation/viewer.ts). When a server asks about our
 * person's post in a group on another server, that group decides who may
 * read it: it is asked whether the server hosts a member (federation/roster.ts).
 */
export async function viewerOfSignedRequest(ctx: RequestContext<AppContext>, about: { postIri?: string } = {}): Promise<Viewer> {
  const viewer = await viewerFromRequest(ctx);
  if (viewer.kind === "server" && about.postIri) {
    const group = await remoteGroupOfPost(ctx.data.db, about.postIri);
    if (group) await refreshRoster(ctx, group, viewer.origin);
  }
  return viewer;
}
