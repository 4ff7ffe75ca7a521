/**
 * The OpenAPI 3.1 document of Plein's own API, served at
 * /api/plein/v1/openapi.json: the core's paths and every content module's.
 */
import { allModules } from "../../modules/registry.ts";
import { auditOpenApi } from "./audit.ts";
import { federationOpenApi } from "./federation.ts";
import { PLEIN_VERSION } from "../../version.ts";

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = "OK") => ({ description, content: { "application/json": { schema } } });
const errors = {
  401: json(ref("Error"), "The access token is missing or invalid"),
  403: json(ref("Error"), "Not allowed (scope, role or group rules)"),
  404: json(ref("Error"), "No such record, or not visible to the caller (the two look the same)"),
  422: json(ref("Error"), "Invalid parameters"),
};
const idParam = (name = "id", what = "The group's account id") => ({ name, in: "path", required: true, schema: { type: "string" }, description: what });
const page = [
  { name: "max_id", in: "query", schema: { type: "string" } },
  { name: "since_id", in: "query", schema: { type: "string" } },
  { name: "min_id", in: "query", schema: { type: "string" } },
  { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 40, default: 20 } },
];
const body = (properties: Json, required: string[] = []) => ({
  required: required.length > 0,
  content: {
    "application/json": { schema: { type: "object", properties, required } },
    "application/x-www-form-urlencoded": { schema: { type: "object", properties, required } },
  },
});

function op(summary: string, scope: string | null, response: Json, extra: Json = {}): Json {
  return {
    summary,
    ...(scope ? { security: [{ bearer: [scope] }] } : { security: [{}, { bearer: [] }] }),
    responses: { 200: response, ...errors },
    ...extra,
  };
}

const groupSettings = {
  display_name: { type: "string", maxLength: 100 },
  description: { type: "string", maxLength: 5000, description: "Plain text; links and hashtags become HTML" },
  visibility: { enum: ["public", "closed", "secret"], description: "public: content public; closed: findable, content for members; secret: not listed, not findable" },
  join_mode: { enum: ["open", "approval", "invite"] },
  posting: { enum: ["members", "admins"], description: "who may start posts (everyone who is a member may comment)" },
  moderate_posts: { type: "boolean", description: "new posts wait for a moderator's approval" },
  moderate_comments: { type: "boolean", description: "comments wait for a moderator's approval" },
  modules: { type: "array", items: { type: "string" }, description: "content modules switched on" },
  allowed_domains: {
    type: "array", maxItems: 100, items: { type: "string", examples: ["*.rijksoverheid.nl", "gemeente.nl"] },
    description: "members only from these domains (`*.domain`: the domain and every host under it); empty: from anywhere. People of this instance are always allowed; members already in stay when their domain is taken off the list. Joins, approvals and invitations from elsewhere are refused (403, with the reason)",
  },
};

const contentFields = {
  module: { type: "string", description: "the content module (see `modules` of the group); none for a plain status. Its own parameters: schemas module.<name>.input" },
  text: { type: "string", description: "the text as written; formatted like a status (links, mentions, hashtags)" },
  title: { type: "string" },
  summary: { type: "string", description: "content warning" },
};

function corePaths(): Json {
  return {
    "/groups": {
      get: op("Groups of this instance the caller may find", "read:groups", json({ type: "array", items: ref("Group") }), {
        parameters: [{ name: "q", in: "query", schema: { type: "string" } }, { name: "mine", in: "query", schema: { type: "boolean" } }, ...page],
      }),
      post: op("Start a group (the caller becomes its owner)", "write:groups", json(ref("Group")), {
        requestBody: body({ name: { type: "string", pattern: "^[a-z0-9_]{1,30}$" }, ...groupSettings }, ["name"]),
      }),
    },
    "/groups/{id}": {
      get: op("A group", "read:groups", json(ref("Group")), { parameters: [idParam()] }),
      patch: op("Change a group's profile and settings (admins)", "write:groups", json(ref("Group")), {
        parameters: [idParam()], requestBody: body(groupSettings),
      }),
    },
    "/groups/{id}/join": { post: op("Join, or ask to join", "write:groups", json(ref("Group")), { parameters: [idParam()] }) },
    "/groups/{id}/leave": { post: op("Leave, withdraw a request or decline an invitation", "write:groups", json(ref("Group")), { parameters: [idParam()] }) },
    "/groups/{id}/membership": {
      patch: op("How the caller presents itself in the group, and what it is notified of", "write:groups", json(ref("Group")), {
        parameters: [idParam()],
        requestBody: body({ title: { type: "string", maxLength: 100 }, organisation: { type: "string", maxLength: 100 }, notify: { enum: ["all", "mentions", "none"] } }),
      }),
    },
    "/groups/{id}/members": {
      get: op("Members (or, for admins, requests, invitations, bans)", "read:groups", json({ type: "array", items: ref("Member") }), {
        parameters: [idParam(), { name: "state", in: "query", schema: { enum: ["member", "pending", "invited", "banned"], default: "member" } }, ...page],
      }),
    },
    "/groups/{id}/requests/{account_id}/approve": { post: op("Approve a request to join (admins)", "write:groups", json(ref("Group")), { parameters: [idParam(), idParam("account_id", "The account")] }) },
    "/groups/{id}/requests/{account_id}/reject": { post: op("Decline a request to join (admins)", "write:groups", json(ref("Group")), { parameters: [idParam(), idParam("account_id", "The account")] }) },
    "/groups/{id}/invitations": {
      post: op("Invite someone, here or on another server (admins)", "write:groups", json(ref("Group")), {
        parameters: [idParam()], requestBody: body({ account_id: { type: "string" } }, ["account_id"]),
      }),
    },
    "/groups/{id}/members/{account_id}/remove": { post: op("Remove a member (admins)", "write:groups", json(ref("Group")), { parameters: [idParam(), idParam("account_id", "The account")] }) },
    "/groups/{id}/members/{account_id}/ban": { post: op("Ban someone from the group (admins)", "write:groups", json(ref("Group")), { parameters: [idParam(), idParam("account_id", "The account")] }) },
    "/groups/{id}/members/{account_id}/unban": { post: op("Lift a ban (admins)", "write:groups", json(ref("Group")), { parameters: [idParam(), idParam("account_id", "The account")] }) },
    "/groups/{id}/members/{account_id}/role": {
      put: op("Change a member's role (the owner makes admins; admins make moderators)", "write:groups", json(ref("Group")), {
        parameters: [idParam(), idParam("account_id", "The account")], requestBody: body({ role: { enum: ["admin", "moderator", "member"] } }, ["role"]),
      }),
    },
    "/groups/{id}/transfer": {
      post: op("Hand the group to another member (owner)", "write:groups", json(ref("Group")), {
        parameters: [idParam()], requestBody: body({ account_id: { type: "string" } }, ["account_id"]),
      }),
    },
    "/groups/{id}/moderation": {
      get: op("Posts and comments waiting for approval (moderators)", "read:groups", json({ type: "array", items: ref("Content") }), { parameters: [idParam(), ...page] }),
    },
    "/groups/{id}/moderation/{post_id}/approve": { post: op("Let a waiting post in (moderators)", "write:groups", json(ref("Content")), { parameters: [idParam(), idParam("post_id", "The post")] }) },
    "/groups/{id}/moderation/{post_id}/remove": { post: op("Remove a post or comment from the group (moderators)", "write:groups", json({ type: "object" }), { parameters: [idParam(), idParam("post_id", "The post")] }) },
    "/groups/{id}/posts": {
      get: op("Content in a group the caller may see", "read:statuses", json({ type: "array", items: ref("Content") }), {
        parameters: [idParam(), { name: "module", in: "query", schema: { type: "string" }, description: "a module's content only; `none` for plain statuses" },
          { name: "top_level", in: "query", schema: { type: "boolean", default: true } }, ...page],
      }),
      post: op("Post in a group (members; the module's own fields too)", "write:statuses", json(ref("Content")), {
        parameters: [idParam()], requestBody: body(contentFields, ["text"]),
      }),
    },
    "/attachments/{id}": {
      get: {
        ...op("The file of a post's attachment, for whoever may see the post. Clients are given this URL for the attachments of "
          + "posts not everyone may read; this server fetches the file from the post's own server, signed as itself. Served as an "
          + "attachment with nosniff and a sandboxing Content-Security-Policy; absent and not visible answer the same 404; "
          + "502 when the other server does not give the file",
        null, { description: "The file", content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } }, {
          parameters: [idParam("id", "The attachment (`media_attachments[].id` of a status)")],
        }),
        security: [{}, { bearer: ["read:statuses"] }],
      },
    },
    "/posts/{id}": {
      get: op("A post", "read:statuses", json(ref("Content")), { parameters: [idParam("id", "The post")] }),
      patch: op("Edit a post (its author, or whom its module allows)", "write:statuses", json(ref("Content")), {
        parameters: [idParam("id", "The post")], requestBody: body(contentFields),
      }),
      delete: op("Delete a post (its author), or remove it (its group's moderators)", "write:statuses", json({ type: "object" }), { parameters: [idParam("id", "The post")] }),
    },
    "/reports": {
      post: op("Report posts (or an account) to the group's moderators and the admins here; `forward` tells the content's own server too",
        "write:reports", json({ type: "object", properties: { id: { type: "string" } } }), {
          requestBody: body({
            post_ids: { type: "array", items: { type: "string" }, maxItems: 100 },
            account_id: { type: "string" },
            comment: { type: "string", maxLength: 5000 },
            forward: { type: "boolean", default: false },
          }),
        }),
    },
    "/posts/{id}/comments": {
      get: op("Comments on a post, threaded", "read:statuses", json({ type: "array", items: ref("Content") }), { parameters: [idParam("id", "The post")] }),
      post: op("Comment on a post", "write:statuses", json(ref("Content")), {
        parameters: [idParam("id", "The post")], requestBody: body({ text: contentFields.text }, ["text"]),
      }),
    },
  };
}

const membership = {
  type: "object",
  properties: {
    state: { enum: ["pending", "invited", "member", "banned"] },
    role: { enum: ["owner", "admin", "moderator", "member"] },
    title: { type: ["string", "null"] },
    organisation: { type: ["string", "null"] },
    notify: { enum: ["all", "mentions", "none"] },
  },
};

/** Each module's parameters and fields, as schemas named `module.<name>.input` and `module.<name>.fields`. */
function moduleSchemas(): Json {
  const schemas: Json = {};
  for (const module of allModules()) {
    const { input, required, fields } = module.schemas ?? {};
    if (input) {
      schemas[`module.${module.name}.input`] = {
        type: "object",
        description: `What a ${module.label.en} post (module=${module.name}) takes besides \`text\``,
        properties: input,
        ...(required?.length ? { required: [...required] } : {}),
      };
    }
    if (fields) {
      schemas[`module.${module.name}.fields`] = {
        type: "object", description: `The \`fields\` of a ${module.label.en} post`, properties: fields,
      };
    }
  }
  return schemas;
}

export function openApiDocument(origin: URL): Json {
  const paths: Json = { ...corePaths(), ...federationOpenApi(), ...auditOpenApi() };
  for (const module of allModules()) Object.assign(paths, module.openapi ?? {});
  return {
    openapi: "3.1.0",
    info: {
      title: "Plein API",
      version: PLEIN_VERSION,
      description: "Plein's own API: groups, membership, moderation and group content of every module. "
        + "Authentication and errors as in the Mastodon client API (bearer tokens, `{\"error\": \"...\"}`).",
    },
    servers: [{ url: new URL("/api/plein/v1", origin).href }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: { type: "object", properties: { error: { type: "string" } }, required: ["error"] },
        Account: { type: "object", description: "A Mastodon Account entity (groups have group: true)" },
        Membership: membership,
        Group: {
          type: "object",
          properties: {
            id: { type: "string" },
            account: ref("Account"),
            local: { type: "boolean" },
            ...groupSettings,
            visibility: { enum: ["public", "closed", "secret", null] },
            members_count: { type: "integer" },
            membership: { oneOf: [ref("Membership"), { type: "null" }] },
          },
        },
        Member: { allOf: [ref("Membership"), { type: "object", properties: { account: ref("Account"), since: { type: "string", format: "date-time" } } }] },
        ...moduleSchemas(),
        Content: {
          type: "object",
          properties: {
            id: { type: "string" }, uri: { type: "string" }, url: { type: "string" },
            module: { type: ["string", "null"] }, type: { type: "string" }, group_id: { type: ["string", "null"] },
            account: ref("Account"), title: { type: ["string", "null"] }, content: { type: "string", description: "HTML" },
            text: { type: ["string", "null"], description: "the source text, for its author" },
            summary: { type: ["string", "null"] }, language: { type: ["string", "null"] },
            visibility: { enum: ["public", "unlisted", "followers", "direct", "instance", "group"] },
            moderation: { enum: ["approved", "pending"] }, in_reply_to_id: { type: ["string", "null"] },
            replies_count: { type: "integer" }, created_at: { type: "string", format: "date-time" },
            edited_at: { type: ["string", "null"], format: "date-time" },
            fields: { type: "object", description: "the module's own fields (schemas module.<name>.fields)" },
          },
        },
      },
    },
    paths,
  };
}
