import { type Kysely, sql } from "kysely";

// Which groups a report's posts were made in, one row per report and group,
// written with the report: a group's moderators list the reports about their
// group's posts on (group_id, report_id) instead of walking every report and
// expanding its list of posts (src/domain/report-review.ts `groupReports`).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("report_groups")
    .addColumn("group_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("report_id", "bigint", (c) => c.notNull().references("reports.id").onDelete("cascade"))
    .addPrimaryKeyConstraint("report_groups_pkey", ["group_id", "report_id"])
    .execute();
  await db.schema.createIndex("report_groups_report").on("report_groups").column("report_id").execute();
  await sql`
    insert into report_groups (group_id, report_id)
    select distinct posts.group_id, reports.id
    from reports cross join jsonb_array_elements_text(reports.post_ids) as reported(id)
    join posts on posts.id = reported.id::bigint
    where posts.group_id is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("report_groups").execute();
}
