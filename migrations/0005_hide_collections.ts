import type { Kysely } from "kysely";

// Whether an account hides who follows it and whom it follows (Mastodon's
// `hide_collections`). Null means the account never chose: a local account
// then hides its network while it is locked (what locked accounts did before).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("actors").addColumn("hide_collections", "boolean").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("actors").dropColumn("hide_collections").execute();
}
