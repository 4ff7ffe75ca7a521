import type { ContentModule } from "../module.ts";
import { threadStats } from "../shared/threads.ts";
import { parseTitled } from "../shared/titled.ts";
import { deliverDecision, receiveDecisionActivity } from "./activities.ts";
import { questionMigrations } from "./migrations.ts";
import { QUESTION_PATHS, QUESTION_SCHEMAS } from "./openapi.ts";
import { questionRoutes } from "./routes.ts";
import { QUESTION_MODULE, questionFields } from "./rules.ts";

/**
 * Questions: a `Page` with a title in a group, told apart from a discussion
 * by its generator IRI; answers are comments on it, and the asker or a
 * moderator of the group accepts one (rules.ts, activities.ts).
 */
export const questionModule: ContentModule<null> = {
  name: QUESTION_MODULE,
  label: { en: "Questions", nl: "Vragen" },
  objectType: "Page",
  generator: "urn:plein:module:question",
  defaultOn: true,
  migrations: questionMigrations,
  parse: (params, mode) => parseTitled(params, mode, "A question"),
  async present(db, posts, viewer) {
    const [fields, threads] = await Promise.all([questionFields(db, posts, viewer), threadStats(db, viewer, posts)]);
    return new Map(posts.map((p) => {
      const t = threads.get(p.id)!;
      return [p.id, { ...fields.get(p.id)!, comments_count: t.comments, last_activity_at: t.lastActivity.toISOString() }];
    }));
  },
  routes: questionRoutes,
  openapi: QUESTION_PATHS,
  schemas: QUESTION_SCHEMAS,
  activityPub: {
    inbox: receiveDecisionActivity,
    deliver: deliverDecision,
  },
};
