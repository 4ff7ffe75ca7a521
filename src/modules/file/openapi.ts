/** OpenAPI path items of the file module's routes (merged into /api/plein/v1/openapi.json). */
const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});
const id = (what: string) => ({ name: "id", in: "path", required: true, schema: { type: "string" }, description: what });

export const fileOpenApi: Readonly<Record<string, unknown>> = {
  "/groups/{id}/files": {
    post: {
      summary: "Share a file in a group (members; the group must use the file module)",
      description: "Creates a file post: a Document with the file, a title (default: the file's name) and a description "
        + "(formatted like a status). Edit its title and description with PATCH /posts/{id} (`title`, `text`). "
        + "The file may be as large as the instance's PLEIN_MAX_FILE_SIZE (25 MiB by default).",
      security: [{ bearer: ["write:statuses"] }, { bearer: ["write:media"] }],
      parameters: [id("The group's account id")],
      requestBody: {
        required: true,
        content: {
          "multipart/form-data": {
            schema: {
              type: "object",
              required: ["file"],
              properties: {
                file: { type: "string", format: "binary", description: "one file; its part's file name and Content-Type are kept" },
                title: { type: "string", maxLength: 1000 },
                description: { type: "string", maxLength: 50000 },
              },
            },
          },
        },
      },
      responses: {
        200: { description: "The file post", content: { "application/json": { schema: { $ref: "#/components/schemas/Content" } } } },
        401: error("The access token is missing or invalid"),
        403: error("Not a member, or the group does not use files"),
        404: error("No such group, or not visible to the caller"),
        413: error("The file (or the request) is larger than allowed"),
        422: error("No file, an empty file, or invalid fields"),
      },
    },
  },
  "/posts/{id}/file": {
    get: {
      summary: "Download a file post's file (whoever may see the post)",
      description: "Served as an attachment, as application/octet-stream unless its type is on a short list of inert types, "
        + "with nosniff and a sandboxing Content-Security-Policy. Another server's file is fetched through this server. "
        + "Other servers fetch with an HTTP signature (a closed group's file: a member's server).",
      security: [{}, { bearer: ["read:statuses"] }],
      parameters: [id("The post")],
      responses: {
        200: { description: "The file", content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } },
        404: error("No such post or file, or not visible to the caller (the two look the same)"),
        502: error("Another server's file could not be fetched"),
      },
    },
  },
};

/** What PATCH /posts/{id} takes for a file post besides `text` (the description), and its `fields`. */
export const fileSchemas = {
  input: {
    title: { type: "string", maxLength: 1000, description: "edits only: a file is shared with POST /groups/{id}/files" },
  },
  fields: {
    file: {
      type: ["object", "null"],
      properties: {
        name: { type: "string", description: "the file's name, cleaned of paths and control characters" },
        media_type: { type: ["string", "null"], description: "the type its uploader declared (null: a remote link nobody typed)" },
        size: { type: ["integer", "null"], description: "bytes (files shared on this server)" },
        sha256: { type: ["string", "null"], description: "hex (files shared on this server)" },
        url: { type: ["string", "null"], description: "the file's own address: on this server, or on the server it was shared on" },
        download_url: { type: ["string", "null"], description: "where this server serves it to whoever may see the post; null for a remote link" },
      },
    },
  },
} as const;
