import { type Kysely, sql } from "kysely";

// A local group may take members only from listed domains
// (src/domain/group-domains.ts): each entry is a domain as a federation rule
// writes it, `example.nl` or `*.example.nl`. Empty: people of every server
// the instance federates with may ask to join.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("groups")
    .addColumn("allowed_domains", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("groups").dropColumn("allowed_domains").execute();
}
