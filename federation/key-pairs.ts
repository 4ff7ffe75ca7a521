import { importJwk } from "@fedify/fedify";
import type { Db } from "../src/db/database.ts";
import { type JwkPair, loadLocalActorKeys } from "../src/domain/keys.ts";

/** How long a process keeps a local actor's imported key pairs. */
export const KEY_PAIRS_REMEMBERED_MS = 10 * 60_000;
const MAX_ACTORS = 10_000;

type Load = (db: Db, username: string) => Promise<JwkPair[]>;

const remembered = new WeakMap<Db, Map<string, { pairs: Promise<CryptoKeyPair[]>; until: number }>>();

async function imported(keys: JwkPair[]): Promise<CryptoKeyPair[]> {
  return Promise.all(keys.map(async (key) => ({
    privateKey: await importJwk(key.privateJwk, "private"),
    publicKey: await importJwk(key.publicJwk, "public"),
  })));
}

/**
 * A local actor's key pairs, read and imported once per process and actor,
 * not on every call: Fedify asks for them whenever it signs a fetch or an
 * activity (the instance actor's, twice for each activity an inbox receives),
 * and importing a private RSA key from JWK costs as much as a signature. A
 * local actor's keys never change once made; nothing (no keys yet, an error)
 * is remembered but a found pair.
 */
export function localKeyPairs(db: Db, username: string, now: () => number = Date.now, load: Load = loadLocalActorKeys): Promise<CryptoKeyPair[]> {
  let byName = remembered.get(db);
  if (!byName) remembered.set(db, byName = new Map());
  const known = byName.get(username);
  if (known && known.until > now()) return known.pairs;
  const pairs = load(db, username).then(imported);
  byName.set(username, { pairs, until: now() + KEY_PAIRS_REMEMBERED_MS });
  if (byName.size > MAX_ACTORS) byName.delete(byName.keys().next().value!);
  const forget = () => {
    if (byName.get(username)?.pairs === pairs) byName.delete(username);
  };
  pairs.then((found) => found.length === 0 && forget(), forget);
  return pairs;
}
