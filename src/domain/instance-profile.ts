/**
 * The instance's own description, set by its admins on /admin/settings:
 * a name, a short description, a contact address and the rules. The
 * Mastodon instance entities show them (src/api/mastodon/entities/instance.ts).
 */
import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { requireInstanceAdmin } from "./admins.ts";
import { invalid } from "./errors.ts";

export const PROFILE_LIMITS = { name: 100, shortDescription: 500, contactEmail: 254, rules: 50, ruleChars: 500 } as const;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

export interface InstanceProfile {
  name: string;
  shortDescription: string;
  contactEmail: string;
  rules: string[];
}

const EMPTY: InstanceProfile = { name: "", shortDescription: "", contactEmail: "", rules: [] };

export async function instanceProfile(db: Db): Promise<InstanceProfile> {
  const row = await db.selectFrom("instance_profile").selectAll().executeTakeFirst();
  if (!row) return EMPTY;
  return {
    name: row.name,
    shortDescription: row.short_description,
    contactEmail: row.contact_email,
    rules: Array.isArray(row.rules) ? row.rules.filter((r): r is string => typeof r === "string") : [],
  };
}

/** Checks the profile an admin sent; each fault is an `invalid` error naming the field. */
export function checkProfile(input: InstanceProfile): InstanceProfile {
  const name = input.name.trim();
  const shortDescription = input.shortDescription.trim();
  const contactEmail = input.contactEmail.trim();
  const rules = input.rules.map((r) => r.trim()).filter((r) => r !== "");
  if ([...name].length > PROFILE_LIMITS.name) throw invalid(`The name is longer than ${PROFILE_LIMITS.name} characters`);
  if ([...shortDescription].length > PROFILE_LIMITS.shortDescription) {
    throw invalid(`The description is longer than ${PROFILE_LIMITS.shortDescription} characters`);
  }
  if (contactEmail !== "" && (contactEmail.length > PROFILE_LIMITS.contactEmail || !EMAIL.test(contactEmail))) {
    throw invalid("The contact address is not an e-mail address");
  }
  if (rules.length > PROFILE_LIMITS.rules) throw invalid(`At most ${PROFILE_LIMITS.rules} rules`);
  if (rules.some((r) => [...r].length > PROFILE_LIMITS.ruleChars)) throw invalid(`A rule is longer than ${PROFILE_LIMITS.ruleChars} characters`);
  return { name, shortDescription, contactEmail, rules };
}

/** An instance admin changes the description. */
export async function updateInstanceProfile(db: Db, by: Pick<Actor, "id" | "local">, input: InstanceProfile): Promise<InstanceProfile> {
  await requireInstanceAdmin(db, by);
  const p = checkProfile(input);
  const values = {
    name: p.name, short_description: p.shortDescription, contact_email: p.contactEmail,
    rules: JSON.stringify(p.rules), updated_at: new Date(),
  };
  await db.insertInto("instance_profile").values({ id: true, ...values })
    .onConflict((oc) => oc.column("id").doUpdateSet(values)).execute();
  return p;
}
