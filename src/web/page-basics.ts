/**
 * What the site's pages and the group pages both need, in a file of its own
 * so that neither imports the other: the viewer a signed-in person (or
 * nobody) is to the visibility rule, the 404 page, and a post page's address.
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../context.ts";
import type { Actor } from "../db/schema.ts";
import { ANONYMOUS, type Viewer } from "../domain/visibility.ts";
import { layout, pageState } from "./layout.ts";

export function viewerOf(me: Actor | undefined): Viewer {
  return me ? { kind: "local", actorId: me.id } : ANONYMOUS;
}

/** The page of a local post. */
export function postPagePath(username: string, postId: string): string {
  return `/@${encodeURIComponent(username)}/${postId}`;
}

export async function notFoundPage(c: Context<AppEnv>) {
  const s = await pageState(c);
  return c.html(layout(s, s.t.notFound, html`<p>${s.t.notFoundText}</p>`), 404);
}
