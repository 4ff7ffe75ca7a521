import type { Db } from "../db/database.ts";
/** Key pairs for local actors, made with Web Crypto and kept as JWK. */

export type KeyAlgorithm = "RSASSA-PKCS1-v1_5" | "Ed25519";

export interface JwkPair {
  algorithm: KeyAlgorithm;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}

export async function generateKeyPairJwk(algorithm: KeyAlgorithm): Promise<JwkPair> {
  const params: RsaHashedKeyGenParams | { name: "Ed25519" } = algorithm === "Ed25519"
    ? { name: "Ed25519" }
    : { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
  return {
    algorithm,
    privateJwk: await crypto.subtle.exportKey("jwk", pair.privateKey),
    publicJwk: await crypto.subtle.exportKey("jwk", pair.publicKey),
  };
}

/** Stores a new local actor's key pairs (in the transaction that creates the actor). */
export async function storeActorKeys(trx: Db, actorId: string, keys: JwkPair[]): Promise<void> {
  await trx.insertInto("actor_keys").values(keys.map((k) => ({
    actor_id: actorId,
    algorithm: k.algorithm,
    private_jwk: JSON.stringify(k.privateJwk),
    public_jwk: JSON.stringify(k.publicJwk),
  }))).execute();
}

export async function generateActorKeys(): Promise<JwkPair[]> {
  return Promise.all([generateKeyPairJwk("RSASSA-PKCS1-v1_5"), generateKeyPairJwk("Ed25519")]);
}

/** A local actor's key pairs as JWK, RSA first (`publicKey` takes the first, and RSA is what every server verifies). */
export async function loadLocalActorKeys(db: Db, username: string): Promise<JwkPair[]> {
  const rows = await db.selectFrom("actor_keys")
    .innerJoin("actors", "actors.id", "actor_keys.actor_id")
    .select(["actor_keys.algorithm", "actor_keys.private_jwk", "actor_keys.public_jwk"])
    .where("actors.local", "=", true)
    .where("actors.username", "=", username)
    .execute();
  const rank = (a: KeyAlgorithm) => (a === "RSASSA-PKCS1-v1_5" ? 0 : 1);
  return rows
    .sort((a, b) => rank(a.algorithm) - rank(b.algorithm))
    .map((r) => ({ algorithm: r.algorithm, privateJwk: r.private_jwk as JsonWebKey, publicJwk: r.public_jwk as JsonWebKey }));
}
