/**
 * The delivery audit (src/domain/audit.ts): where closed-group content went.
 * GET /groups/:id/audit for the group's owner and admins (and the instance's
 * admins); GET /admin/audit, all of it, for the instance's admins. Newest
 * first, keyset-paged like every list (max_id, since_id, min_id, limit; Link).
 */
import type { Hono } from "hono";
import { auditFilter, type DeliveryRecord, DELIVERY_RESULTS, groupDeliveryAudit, instanceDeliveryAudit } from "../../domain/audit.ts";
import { type ApiContext, type ApiEnv, currentAccount, requireAuth, viewerOf } from "../mastodon/auth.ts";
import { optionalString, pageParams, type Params, pathId, queryParams, setLinkHeader } from "../mastodon/params.ts";
import { visibleGroup } from "./groups.ts";

type Json = Record<string, unknown>;

export function renderDeliveryRecord(r: DeliveryRecord): Json {
  return {
    id: r.id,
    group_id: r.group_id,
    group_uri: r.group_iri,
    object_uri: r.object_iri,
    activity_id: r.activity_id,
    activity_type: r.activity_type,
    server: r.server,
    inbox: r.inbox,
    result: r.result,
    status_code: r.status_code,
    detail: r.detail,
    attempt: r.attempt,
    created_at: r.created_at.toISOString(),
  };
}

function filterParams(params: Params) {
  return {
    server: optionalString(params, "server"),
    objectIri: optionalString(params, "object"),
  };
}

function respond(c: ApiContext, records: DeliveryRecord[]) {
  setLinkHeader(c, records.map((r) => r.id));
  return c.json(records.map(renderDeliveryRecord));
}

export function mountAuditRoutes(r: Hono<ApiEnv>): void {
  r.get("/groups/:id/audit", requireAuth("read:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    const params = queryParams(c);
    const filter = auditFilter(filterParams(params));
    return respond(c, await groupDeliveryAudit(deps.db, currentAccount(c), group.actor.id, filter, pageParams(params)));
  });

  r.get("/admin/audit", requireAuth("admin:read"), async (c) => {
    const deps = c.get("deps");
    const params = queryParams(c);
    const filter = auditFilter({ ...filterParams(params), groupId: optionalString(params, "group") });
    return respond(c, await instanceDeliveryAudit(deps.db, currentAccount(c), filter, pageParams(params)));
  });
}

/** The OpenAPI path items of this file (merged into /api/plein/v1/openapi.json). */
export function auditOpenApi(): Json {
  const json = (schema: Json, description = "OK") => ({ description, content: { "application/json": { schema } } });
  const error = (description: string) => json({ $ref: "#/components/schemas/Error" }, description);
  const record = {
    type: "object",
    properties: {
      id: { type: "string" },
      group_id: { type: "string" },
      group_uri: { type: "string", format: "uri" },
      object_uri: { type: "string", format: "uri", description: "the post delivered (or its deletion)" },
      activity_id: { type: "string", format: "uri" },
      activity_type: { type: "string", description: "Create, Update, Delete, Announce..." },
      server: { type: "string", description: "the receiving server (the inbox's host)" },
      inbox: { type: "string", format: "uri" },
      result: {
        enum: DELIVERY_RESULTS,
        description: "queued: handed to the delivery queue; refused: the federation policy blocks the server; delivered: the inbox accepted it; "
          + "retrying: this attempt failed, another follows; held: not sent, the server is unreachable (circuit open), retried later; failed: given up",
      },
      status_code: { type: ["integer", "null"], description: "the inbox's HTTP status, when it answered with an error" },
      detail: { type: ["string", "null"] },
      attempt: { type: ["integer", "null"], description: "which attempt this result is of (1 is the first)" },
      created_at: { type: "string", format: "date-time" },
    },
  };
  const page = [
    { name: "max_id", in: "query", schema: { type: "string" } },
    { name: "since_id", in: "query", schema: { type: "string" } },
    { name: "min_id", in: "query", schema: { type: "string" } },
    { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 40, default: 20 } },
  ];
  const filters = [
    { name: "server", in: "query", schema: { type: "string" }, description: "only this receiving server (a host name)" },
    { name: "object", in: "query", schema: { type: "string", format: "uri" }, description: "only deliveries of this post (its id)" },
  ];
  const list = json({ type: "array", items: record }, "Records, newest first (Link header for the next and previous pages)");
  return {
    "/groups/{id}/audit": {
      get: {
        summary: "Where the group's closed content was delivered (the group's owner and admins, and instance admins)",
        security: [{ bearer: ["read:groups"] }],
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" }, description: "The group's account id" }, ...filters, ...page],
        responses: {
          200: list,
          401: error("The access token is missing or invalid"),
          403: error("Not an admin of the group"),
          404: error("No such group, or not visible to the caller"),
          422: error("Invalid parameters"),
        },
      },
    },
    "/admin/audit": {
      get: {
        summary: "Where every group's closed content was delivered (instance admins)",
        security: [{ bearer: ["admin:read"] }],
        parameters: [{ name: "group", in: "query", schema: { type: "string" }, description: "only this group (its account id)" }, ...filters, ...page],
        responses: {
          200: list,
          401: error("The access token is missing or invalid"),
          403: error("Not an instance admin, or the token lacks the admin scope"),
          422: error("Invalid parameters"),
        },
      },
    },
  };
}
