/**
 * The signing limit: how many RSA-2048 (RSASSA-PKCS1-v1_5, SHA-256: the HTTP
 * Signatures of the fediverse) signatures per second this machine makes.
 * WebCrypto signs on libuv's thread pool, so with several signatures in
 * flight every core works; with one in flight, one core.
 */
const ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

async function signFor(key: CryptoKey, inFlight: number, durationMs: number): Promise<number> {
  // What a draft-cavage signature covers, roughly: a few hundred bytes.
  const data = new TextEncoder().encode(`(request-target): post /inbox\nhost: 127.100.0.1\ndate: ${new Date().toUTCString()}\n`
    + `digest: SHA-256=${"A".repeat(44)}\ncontent-type: application/activity+json`);
  let signed = 0;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      await crypto.subtle.sign(ALGORITHM, key, data);
      signed++;
    }
  }));
  return signed / ((performance.now() - started) / 1000);
}

export interface SigningLimit {
  /** all cores: many signatures in flight */
  perSecond: number;
  /** one signature at a time */
  perSecondOneCore: number;
}

export async function rsaSigningLimit(durationMs = 3000): Promise<SigningLimit> {
  const { privateKey } = await crypto.subtle.generateKey(
    { ...ALGORITHM, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, false, ["sign", "verify"]);
  await signFor(privateKey, 4, 200); // warm-up
  const perSecondOneCore = await signFor(privateKey, 1, durationMs);
  const perSecond = await signFor(privateKey, 16, durationMs);
  return { perSecond: Math.round(perSecond), perSecondOneCore: Math.round(perSecondOneCore) };
}
