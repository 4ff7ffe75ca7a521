import { type Kysely, sql } from "kysely";

// The delivery audit (src/domain/audit.ts): one row per event in the life of
// one delivery of closed-group content to one inbox. Rows are only ever
// added: a later result is a new row. The table refuses UPDATE, DELETE and
// TRUNCATE itself, so no code path (nor a cascade) can rewrite the record.
// `group_id` is deliberately no foreign key: the record outlives the group
// (and a cascading delete would be refused anyway); `group_iri` names it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("delivery_audit")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("group_id", "bigint", (c) => c.notNull())
    .addColumn("group_iri", "text", (c) => c.notNull())
    .addColumn("object_iri", "text", (c) => c.notNull())
    .addColumn("activity_id", "text", (c) => c.notNull())
    .addColumn("activity_type", "text", (c) => c.notNull())
    .addColumn("server", "text", (c) => c.notNull())
    .addColumn("inbox", "text", (c) => c.notNull())
    .addColumn("result", "text", (c) =>
      c.notNull().check(sql`result in ('queued', 'refused', 'delivered', 'retrying', 'held', 'failed')`))
    .addColumn("status_code", "integer")
    .addColumn("detail", "text")
    .addColumn("attempt", "integer")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("delivery_audit_group").on("delivery_audit").columns(["group_id", "id"]).execute();
  await db.schema.createIndex("delivery_audit_server").on("delivery_audit").columns(["server", "id"]).execute();
  await db.schema.createIndex("delivery_audit_object").on("delivery_audit").columns(["object_iri", "id"]).execute();
  await db.schema.createIndex("delivery_audit_activity").on("delivery_audit").column("activity_id").execute();

  await sql`
    create function delivery_audit_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'delivery_audit is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`
    create trigger delivery_audit_no_update_delete before update or delete on delivery_audit
    for each row execute function delivery_audit_append_only()`.execute(db);
  await sql`
    create trigger delivery_audit_no_truncate before truncate on delivery_audit
    for each statement execute function delivery_audit_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("delivery_audit").execute();
  await sql`drop function delivery_audit_append_only()`.execute(db);
}
