import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

// The accepted answer of each question (src/modules/question/schema.ts).
const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("question_answers")
      .addColumn("post_id", "bigint", (c) => c.primaryKey().references("posts.id").onDelete("cascade"))
      .addColumn("answer_iri", "text")
      .addColumn("accepted_by", "bigint", (c) => c.references("actors.id").onDelete("set null"))
      .addColumn("accepted_at", "timestamptz")
      .addColumn("decided_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("activity_iri", "text", (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("question_answers").execute();
  },
};

export const questionMigrations: Readonly<Record<string, Migration>> = {
  module_question_0001: initial,
};
