/** Remote actors for the benchmarks: an RSA key each and the actor document a sink serves. */
import { sinkHost } from "./sink.ts";

export interface RemoteActor {
  iri: string;
  host: string;
  username: string;
  keyId: URL;
  privateKey: CryptoKey;
  document: string;
}

function pem(spki: ArrayBuffer): string {
  const lines = Buffer.from(spki).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----\n`;
}

/** The i-th remote actor, on the (i mod hosts)-th sink address. */
export async function remoteActor(i: number, hosts: number): Promise<RemoteActor> {
  const host = sinkHost(i % hosts);
  const username = `a${i}`;
  const iri = `https://${host}/users/${username}`;
  const { privateKey, publicKey } = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ["sign", "verify"]);
  const document = JSON.stringify({
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: iri,
    type: "Person",
    preferredUsername: username,
    name: `Remote ${i}`,
    inbox: `${iri}/inbox`,
    outbox: `${iri}/outbox`,
    followers: `${iri}/followers`,
    endpoints: { sharedInbox: `https://${host}/inbox` },
    publicKey: { id: `${iri}#main-key`, owner: iri, publicKeyPem: pem(await crypto.subtle.exportKey("spki", publicKey)) },
  });
  return { iri, host, username, keyId: new URL(`${iri}#main-key`), privateKey, document };
}
