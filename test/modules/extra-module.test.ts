/**
 * An organisation adds a content type of its own without touching the core:
 * a "recipe" module (an Article with a servings count and ingredients) in
 * this test file alone, with its own table, API fields and ActivityStreams
 * mapping. Two real instances: a group on A with the module switched on, a
 * member on B whose recipe reaches A with its fields intact.
 */
import { PropertyValue } from "@fedify/vocab";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Params } from "../../src/api/mastodon/params.ts";
import type { Db } from "../../src/db/database.ts";
import { invalid } from "../../src/domain/errors.ts";
import type { ContentModule } from "../../src/modules/module.ts";
import { registerModule, unregisterModule } from "../../src/modules/registry.ts";
import { closeInstances, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";
import { createGroup, groupOn, joinGroup, type PleinContent, postInGroup, waitForGroupPost, waitForMembership } from "../support/plein.ts";

interface Recipe {
  servings: number;
  ingredients: string[];
}

interface RecipeTables {
  recipe_details: { post_id: string; servings: number; ingredients: string };
}

const recipes = (db: Db) => (db as unknown as Kysely<RecipeTables>);

function parseRecipe(params: Params): Recipe {
  const servings = Number(params.servings);
  if (!Number.isInteger(servings) || servings < 1 || servings > 100) throw invalid("servings must be 1 to 100");
  const raw = params.ingredients;
  const ingredients = (Array.isArray(raw) ? raw : []).filter((i): i is string => typeof i === "string" && i.length <= 100).slice(0, 50);
  if (ingredients.length === 0) throw invalid("ingredients are required");
  return { servings, ingredients };
}

const recipeModule: ContentModule<Recipe> = {
  name: "recipe",
  label: { en: "Recipes", nl: "Recepten" },
  objectType: "Article",
  generator: "urn:example:module:recipe",
  defaultOn: false,
  migrations: {
    module_recipe_0001: {
      async up(db) {
        await db.schema.createTable("recipe_details")
          .addColumn("post_id", "bigint", (c) => c.primaryKey().references("posts.id").onDelete("cascade"))
          .addColumn("servings", "integer", (c) => c.notNull())
          .addColumn("ingredients", "jsonb", (c) => c.notNull())
          .execute();
      },
    },
  },
  parse: (params) => ({ post: { name: String(params.title ?? "") || null }, data: parseRecipe(params) }),
  async save(trx, post, data) {
    await recipes(trx).insertInto("recipe_details")
      .values({ post_id: post.id, servings: data.servings, ingredients: JSON.stringify(data.ingredients) })
      .onConflict((oc) => oc.column("post_id").doUpdateSet({ servings: data.servings, ingredients: JSON.stringify(data.ingredients) }))
      .execute();
  },
  async present(db, posts) {
    const rows = await recipes(db).selectFrom("recipe_details").selectAll().where("post_id", "in", posts.map((p) => p.id)).execute();
    return new Map(rows.map((r) => [r.post_id, { servings: r.servings, ingredients: r.ingredients as unknown as string[] }]));
  },
  activityPub: {
    async render(db, post) {
      const row = await recipes(db).selectFrom("recipe_details").selectAll().where("post_id", "=", post.id).executeTakeFirst();
      if (!row) return {};
      const ingredients = row.ingredients as unknown as string[];
      return { attachments: [new PropertyValue({ name: "servings", value: String(row.servings) }),
        ...ingredients.map((i) => new PropertyValue({ name: "ingredient", value: i }))] };
    },
    async read(object) {
      let servings = 0;
      const ingredients: string[] = [];
      for await (const a of object.getAttachments({ suppressError: true })) {
        if (!(a instanceof PropertyValue)) continue;
        const name = a.name?.toString(), value = a.value?.toString() ?? "";
        if (name === "servings") servings = Number(value);
        if (name === "ingredient" && ingredients.length < 50) ingredients.push(value.slice(0, 100));
      }
      return Number.isInteger(servings) && servings > 0 ? { servings, ingredients } : null;
    },
  },
};

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let anna: TestUser;
let bram: TestUser;

beforeAll(async () => {
  registerModule(recipeModule);
  instances = await startInstances(2);
  [A, B] = instances as [TestInstance, TestInstance];
  anna = await A.createUser("anna");
  bram = await B.createUser("bram");
});

afterAll(async () => {
  await closeInstances(instances);
  unregisterModule("recipe");
});

describe("a content module added without touching the core", () => {
  it("has its own table on every instance", async () => {
    for (const instance of instances) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from recipe_details`.execute(instance.db);
      expect(rows[0]?.n).toBe(0);
    }
  });

  it("is switched on per group, and its content travels with its fields", async () => {
    const group = await createGroup(anna, { name: "keuken", visibility: "closed", modules: ["recipe", "discussion"] });
    expect(group.modules).toEqual(["discussion", "recipe"]);
    const off = await createGroup(anna, { name: "zonder", visibility: "closed", modules: ["discussion"] });
    const refused = await anna.api.post(`/api/plein/v1/groups/${off.id}/posts`, { module: "recipe", text: "x", servings: 2, ingredients: ["ei"] });
    expect(refused.status).toBe(403);
    const bad = await anna.api.post(`/api/plein/v1/groups/${group.id}/posts`, { module: "recipe", text: "x", servings: 0, ingredients: ["ei"] });
    expect(bad.status).toBe(422);

    const onB = await groupOn(bram, `keuken@${A.host}`);
    await joinGroup(bram, onB);
    await waitForMembership(bram, onB.id, "member");
    const created = await postInGroup(bram, onB.id, {
      module: "recipe", title: "Stamppot", text: "Boerenkool met worst", servings: 4, ingredients: ["boerenkool", "aardappelen", "rookworst"],
    });
    expect(created.module).toBe("recipe");
    expect(created.fields).toEqual({ servings: 4, ingredients: ["boerenkool", "aardappelen", "rookworst"] });
    const onA: PleinContent = await waitForGroupPost(anna, group.id, created.uri);
    expect(onA).toMatchObject({ module: "recipe", type: "Article", title: "Stamppot" });
    expect(onA.fields).toEqual({ servings: 4, ingredients: ["boerenkool", "aardappelen", "rookworst"] });
    const openapi = await A.api().get<{ paths: Record<string, unknown> }>("/api/plein/v1/openapi.json");
    expect(openapi.status).toBe(200);
  });
});
