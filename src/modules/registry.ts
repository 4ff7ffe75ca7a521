/**
 * The content modules this instance knows. The built-in ones register in
 * src/modules/builtin.ts; an organisation's own module registers itself the
 * same way (`registerModule`) before the server starts. The core asks the
 * registry; it never names a module.
 */
import type { Object as APObject } from "@fedify/vocab";
import type { Migration } from "kysely/migration";
import type { ObjectType, Post } from "../db/schema.ts";
import type { ContentModule } from "./module.ts";

const modules = new Map<string, ContentModule>();

/** Adds a module; its name must be new, and a second module of the same type needs a generator IRI. */
export function registerModule<Data>(module: ContentModule<Data>): void {
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(module.name)) throw new TypeError(`"${module.name}" is not a module name`);
  if (modules.has(module.name)) throw new TypeError(`A module named "${module.name}" is already registered`);
  const sameType = [...modules.values()].filter((m) => m.objectType === module.objectType);
  if (sameType.some((m) => m.generator === module.generator)) {
    throw new TypeError(`Module "${module.name}" needs a generator IRI of its own: another module has objects of type ${module.objectType}`);
  }
  modules.set(module.name, module as ContentModule);
}

/** Removes a module (tests that add one of their own). */
export function unregisterModule(name: string): void {
  modules.delete(name);
}

export function allModules(): ContentModule[] {
  return [...modules.values()];
}

export function findModule(name: string | null | undefined): ContentModule | undefined {
  return name ? modules.get(name) : undefined;
}

/** The modules a new group starts with. */
export function defaultModules(): string[] {
  return allModules().filter((m) => m.defaultOn).map((m) => m.name);
}

/** The module of a stored post (undefined for a plain status or comment). */
export function moduleOfPost(post: Pick<Post, "module">): ContentModule | undefined {
  return findModule(post.module);
}

/**
 * The module an inbound object belongs to: the one whose generator IRI it
 * carries, else the one that takes its type without a generator.
 */
export function moduleOfObject(object: APObject, type: ObjectType): ContentModule | undefined {
  const generators = new Set(object.generatorIds.map((g) => g.href));
  const all = allModules();
  return all.find((m) => m.generator !== undefined && generators.has(new URL(m.generator).href))
    ?? all.find((m) => m.objectType === type && m.generator === undefined);
}

/** Every module's migrations, to run after (and beside) the core's. */
export function moduleMigrations(): Record<string, Migration> {
  const all: Record<string, Migration> = {};
  for (const m of allModules()) {
    for (const [name, migration] of Object.entries(m.migrations ?? {})) {
      if (name in all) throw new TypeError(`Two modules name a migration "${name}"`);
      all[name] = migration;
    }
  }
  return all;
}
