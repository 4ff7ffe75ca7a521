/**
 * Keys this server makes for itself and keeps in the database, so that every
 * process of one instance shares them (the key of the media proxy's URLs:
 * src/media/proxy-urls.ts). Made on first use, never changed.
 */
import type { Db } from "../db/database.ts";

const SECRET_BYTES = 32;
const cache = new WeakMap<Db, Map<string, Promise<Uint8Array>>>();

async function load(db: Db, name: string): Promise<Uint8Array> {
  const made = Buffer.from(crypto.getRandomValues(new Uint8Array(SECRET_BYTES))).toString("base64url");
  // Two processes may make one at once: the first one stored wins, and both read it.
  await db.insertInto("server_secrets").values({ name, secret: made }).onConflict((oc) => oc.column("name").doNothing()).execute();
  const row = await db.selectFrom("server_secrets").select("secret").where("name", "=", name).executeTakeFirstOrThrow();
  return new Uint8Array(Buffer.from(row.secret, "base64url"));
}

/** The secret named `name`, made the first time it is asked for. */
export function serverSecret(db: Db, name: string): Promise<Uint8Array> {
  let ofDb = cache.get(db);
  if (!ofDb) cache.set(db, ofDb = new Map());
  let secret = ofDb.get(name);
  if (!secret) {
    secret = load(db, name);
    ofDb.set(name, secret);
    secret.catch(() => ofDb.delete(name));
  }
  return secret;
}
