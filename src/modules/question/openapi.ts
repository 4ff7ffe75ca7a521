/** The question module's fields and routes in Plein's OpenAPI document. */
import { TITLED_INPUT } from "../shared/titled.ts";
import { THREAD_FIELDS } from "../shared/threads.ts";

const content = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Content" } } },
});
const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});
const question = { name: "id", in: "path", required: true, schema: { type: "string" }, description: "The question" };
const answers = {
  200: content("Decided here (the question's group is on this server): the question, with its accepted answer"),
  202: content("Sent to the question's group on another server, which decides: the question as it stands"),
  401: error("The access token is missing or invalid"),
  403: error("Not the asker, nor a moderator of the question's group"),
  404: error("No such question, or not visible to the caller"),
  422: error("Not a question in a group, or answer_id is not a comment on it"),
};

export const QUESTION_SCHEMAS = {
  input: TITLED_INPUT,
  required: ["title"],
  fields: {
    accepted_answer_id: { type: ["string", "null"], description: "the accepted answer (a comment on the question), when the caller may see it" },
    accepted_answer_uri: { type: ["string", "null"], description: "its ActivityPub id (also when it has not reached this server yet)" },
    accepted_by: { type: ["string", "null"], description: "the account that accepted it: the asker or a moderator" },
    accepted_at: { type: ["string", "null"], format: "date-time" },
    answers_count: { type: "integer", description: "answers (direct comments) the caller may see" },
    ...THREAD_FIELDS,
  },
} as const;

export const QUESTION_PATHS = {
  "/posts/{id}/accept": {
    post: {
      summary: "Accept an answer to a question, or change the accepted one (the asker or a moderator of its group)",
      security: [{ bearer: ["write:statuses"] }],
      parameters: [question],
      requestBody: {
        required: true,
        content: Object.fromEntries(["application/json", "application/x-www-form-urlencoded"].map((type) => [type, {
          schema: { type: "object", properties: { answer_id: { type: "string", description: "a comment on the question" } }, required: ["answer_id"] },
        }])),
      },
      responses: answers,
    },
    delete: {
      summary: "Clear the accepted answer (the asker or a moderator of its group)",
      security: [{ bearer: ["write:statuses"] }],
      parameters: [question],
      responses: answers,
    },
  },
} as const;
