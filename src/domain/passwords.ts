import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { invalid } from "./errors.ts";

// scrypt with N=2^15, r=8, p=1 (OWASP's minimum is N=2^17 with p=1 for high-value
// accounts; 2^15 keeps login under ~100 ms on small servers). Stored self-describing.
const N = 32768, R = 8, P = 1, KEYLEN = 32;

/** The length a new password must have (characters). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

/** Refuses a new password of the wrong length. */
export function checkNewPassword(password: string): void {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw invalid(`Password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, KEYLEN, { N: n, r, p, maxmem: 128 * n * r * 2 }, (err, key) =>
      err ? reject(err) : resolve(key));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(key, "base64url");
  const actual = await derive(password, Buffer.from(salt, "base64url"), Number(n), Number(r), Number(p));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
