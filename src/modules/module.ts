/**
 * A content type (Pleio's group plugins): discussion, blog, event, file,
 * wiki, question, and whatever an organisation adds. Each lives in one folder
 * of src/modules and exports one object of this shape; the core iterates the
 * registry (src/modules/registry.ts) and never names a module itself:
 * - storage: its own tables (`migrations`), written in the transaction of the post (`save`);
 * - Plein's API: what a request may set (`parse`), what a reader sees (`present`), extra routes (`routes`);
 * - ActivityStreams: the fields its objects carry (`render`), what is read from them (`read`),
 *   and the activities about its objects it answers (`inbox`).
 * A group's admins switch modules on and off per group (`group_modules`).
 */
import type { Activity, Object as APObject } from "@fedify/vocab";
import type { Hono } from "hono";
import type { Migration } from "kysely/migration";
import type { ApiEnv } from "../api/mastodon/auth.ts";
import type { Params } from "../api/mastodon/params.ts";
import type { AppContext } from "../context.ts";
import type { Db } from "../db/database.ts";
import type { Actor, ObjectType, Post } from "../db/schema.ts";
import type { NewLocalPost } from "../domain/posts/authoring.ts";
import type { AudienceMember, Viewer } from "../domain/visibility.ts";

/**
 * What a module's create or edit request sets besides the text (which the
 * core formats from the `text` parameter): post fields and the module's data.
 */
export interface ModuleInput<Data> {
  post: Partial<Pick<NewLocalPost, "name" | "summary" | "sensitive" | "language" | "attachments">>;
  data: Data;
}

/** What an inbox hook is told besides the activity. */
export interface ModuleInboxContext {
  app: AppContext;
  /** the signer, checked like every activity's actor (federation/inbox/common.ts) */
  actor: Actor;
  /** the Group that redistributed the activity, if one did */
  group?: Actor;
  /** the activity's id */
  activityIri: string;
  /**
   * Fetches an object from its own id through Plein's checked loader (the
   * document must carry that id); for objects that cannot be trusted as embedded.
   */
  fetchObject(id: URL): Promise<APObject>;
  /**
   * May the signer see this post? As the visibility rule says for the signer;
   * for a post in a group on another server, as that group's members
   * collection says about the signer's server (asked when not known lately).
   */
  canSee(post: Post): Promise<boolean>;
}

/** A file of a module's post, as an app shows it: the URL serves it to whoever may see the post. */
export interface ModuleAttachment {
  id: string;
  url: string;
  mediaType: string | null;
  description: string | null;
}

/** Who receives a module's activity (local actors are skipped: they read the database). */
export type ModuleRecipient = Pick<AudienceMember, "iri" | "inbox" | "sharedInbox" | "local">;

/** One actor as a module's recipient. */
export function recipientOf(actor: Pick<Actor, "iri" | "inbox_url" | "shared_inbox_url" | "local">): ModuleRecipient {
  return { iri: actor.iri, inbox: actor.inbox_url, sharedInbox: actor.shared_inbox_url, local: actor.local };
}

/** What a module's `deliver` is told about a job it queued. */
export interface ModuleDeliveryContext {
  app: AppContext;
  /** the local actor the job names as its sender (it signs the activity) */
  sender: Actor;
  /** the activity id chosen when the job was queued: every retry sends the same */
  id: URL;
}

export interface ModuleDelivery {
  activity: Activity;
  recipients: readonly ModuleRecipient[];
  /**
   * The post the activity is about (a wiki page, an event, a question): when
   * it is closed-group content, the delivery audit records where the
   * activity went (src/domain/audit.ts).
   */
  post?: Post;
}

export interface ModuleActivityPub<Data> {
  /**
   * Fields its objects carry, merged into the ActivityStreams object's values
   * (Event: startTime...); its `attachments` are added to the post's media.
   */
  render?(db: Db, post: Post): Promise<Record<string, unknown>>;
  /** what an inbound object of this module carries for it (null: nothing usable) */
  read?(object: APObject): Promise<Data | null>;
  /**
   * Activities about its objects (an RSVP's Accept of an Event, the Accept of
   * an answer, a member's Update of a wiki page): true when the module handled
   * it, false to let the core go on.
   */
  inbox?(activity: Activity, context: ModuleInboxContext): Promise<boolean>;
  /**
   * Builds the activity of a delivery job the module queued itself (a
   * DeliveryJob of type "module", src/domain/jobs.ts, queued in the
   * transaction of the change): null when there is nothing to send any more.
   */
  deliver?(payload: Record<string, unknown>, context: ModuleDeliveryContext): Promise<ModuleDelivery | null>;
}

export interface ContentModule<Data = unknown> {
  /** lower case, unique: what admins switch on and off */
  readonly name: string;
  readonly label: { readonly en: string; readonly nl: string };
  /** the ActivityStreams type of its objects */
  readonly objectType: ObjectType;
  /**
   * The `generator` IRI its objects carry when another module shares their
   * type (a wiki page and a discussion are both Pages): how a Plein server
   * tells them apart. Without one, the module takes objects of its type.
   */
  readonly generator?: string;
  /** switched on in new groups */
  readonly defaultOn: boolean;
  readonly migrations?: Readonly<Record<string, Migration>>;
  /** Plein API: a create (or edit) request's parameters → the post's fields and the module's data */
  parse?(params: Params, mode: "create" | "edit"): ModuleInput<Data>;
  /** may `editor` (not the author) edit this post? (a wiki page: its group's members) */
  mayEdit?(db: Db, post: Post, editor: Actor): Promise<boolean>;
  /** stores the module's own rows for a new, edited or received post, in the post's transaction */
  save?(trx: Db, post: Post, data: Data, editor: Actor): Promise<void>;
  /**
   * Queues what other servers hear of a local edit of its post, in the edit's
   * transaction, instead of the core's Update by the author (a wiki revision
   * goes to the group's server, which numbers it and announces its editor).
   */
  queueEditDelivery?(trx: Db, post: Post, editor: Actor): Promise<void>;
  /**
   * The module's own fields of these posts as `viewer` sees them (Plein API,
   * pages); `origin` is this instance's, for links to its own routes.
   */
  present?(db: Db, posts: readonly Post[], viewer: Viewer, origin: URL): Promise<Map<string, Record<string, unknown>>>;
  /**
   * Files its posts carry besides their media (a file module's upload), by
   * post id, for apps that show only attachments (the Mastodon API).
   */
  attachments?(db: Db, posts: readonly Post[], origin: URL): Promise<Map<string, ModuleAttachment[]>>;
  /** more routes under /api/plein/v1 */
  routes?(router: Hono<ApiEnv>): void;
  /** OpenAPI path items of those routes */
  readonly openapi?: Readonly<Record<string, unknown>>;
  /**
   * For the OpenAPI document: JSON Schemas of the parameters `parse` reads
   * besides `text` (`required`: those a create request must have) and of the
   * `fields` that `present` shows.
   */
  readonly schemas?: {
    readonly input?: Readonly<Record<string, unknown>>;
    readonly required?: readonly string[];
    readonly fields?: Readonly<Record<string, unknown>>;
  };
  readonly activityPub?: ModuleActivityPub<Data>;
}
