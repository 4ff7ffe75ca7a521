/**
 * The question module's own table and its typed view of the database (the
 * core's schema.ts stays the core's).
 */
import type { Kysely } from "kysely";
import type { ColumnType, Selectable } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/**
 * The accepted answer of a question, as last decided. A row stays when the
 * choice is cleared (answer null), so that an older decision arriving late
 * never overrides a newer one (`decided_at`).
 */
export interface QuestionAnswersTable {
  /** the question (a post of module "question") */
  post_id: string;
  /**
   * The accepted answer's id (a comment on the question), null when none. By
   * id, not by row: on a member's server the group's decision may arrive
   * before the answer itself.
   */
  answer_iri: string | null;
  /** who accepted it (the asker or a moderator), when known here */
  accepted_by: string | null;
  accepted_at: Timestamp | null;
  /** when the group decided (accepted, changed or cleared): a later decision wins */
  decided_at: Timestamp;
  /** the Accept or Reject that made the decision */
  activity_iri: string;
}

// A type alias (not an interface): Kysely's withTables wants an index signature.
export type QuestionTables = {
  question_answers: QuestionAnswersTable;
};

export type QuestionAnswer = Selectable<QuestionAnswersTable>;
export type QuestionDb = Kysely<Database & QuestionTables>;

export function questionDb(db: Db): QuestionDb {
  return db.withTables<QuestionTables>();
}
