/**
 * What a browser keeps for Plein's own pages (the site's and the OAuth
 * pages): cookies that are HttpOnly, SameSite=Lax, Secure when the public
 * origin is https; and a form token against cross-site requests (double
 * submit: a random token in a cookie, repeated in every form).
 */
import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { newSecret } from "../domain/tokens.ts";

export interface BrowserCookieOptions {
  path: string;
  httpOnly: true;
  sameSite: "Lax";
  secure: boolean;
  maxAge: number;
}

export function browserCookieOptions(origin: URL, path: string, maxAgeSeconds: number): BrowserCookieOptions {
  return { path, httpOnly: true, sameSite: "Lax", secure: origin.protocol === "https:", maxAge: maxAgeSeconds };
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The form token of this browser under cookie `name`, made (and set) on its first visit. */
export function formToken(c: Context, name: string, options: BrowserCookieOptions): string {
  const existing = getCookie(c, name);
  if (existing && TOKEN.test(existing)) return existing;
  const token = newSecret();
  setCookie(c, name, token, options);
  return token;
}

/** Does the form's token equal the browser's cookie `name`? */
export function formTokenMatches(c: Context, name: string, submitted: string | undefined): boolean {
  const cookie = getCookie(c, name);
  if (!cookie || !submitted) return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
