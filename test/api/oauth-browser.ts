/**
 * A browser for the OAuth pages, on top of the app's fetch-like
 * `app.request`: keeps cookies as a browser would (by name, for /oauth),
 * does not follow redirects, and reads the forms of a page.
 */
import { expect } from "vitest";
import type { Api } from "./support.ts";
import { ORIGIN } from "./support.ts";

export interface Page {
  status: number;
  headers: Headers;
  html: string;
  location: string | null;
}

export class Browser {
  readonly cookies = new Map<string, string>();
  readonly setCookieHeaders: string[] = [];
  readonly api: Api;
  readonly acceptLanguage: string;
  constructor(api: Api, acceptLanguage = "en") {
    this.api = api;
    this.acceptLanguage = acceptLanguage;
  }

  async request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    const h: Record<string, string> = { "accept-language": this.acceptLanguage, ...headers };
    if (this.cookies.size > 0) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (form) {
      h["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(form).toString();
    }
    const res = await this.api.running.app.request(new URL(path, ORIGIN).href, { method, headers: h, body });
    for (const line of res.headers.getSetCookie()) {
      this.setCookieHeaders.push(line);
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const html = await res.text();
    expect(res.status, `${method} ${path}: ${html.slice(0, 300)}`).toBeLessThan(500);
    return { status: res.status, headers: res.headers, html, location: res.headers.get("location") };
  }

  get(path: string) {
    return this.request("GET", path);
  }

  post(path: string, form: Record<string, string>) {
    return this.request("POST", path, form);
  }
}

const decode = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** The named inputs of the page's (first) form, as the browser would send them, hidden ones included. */
export function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b([^>]*)>/g)) {
    const name = /\bname="([^"]*)"/.exec(m[1]!)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(m[1]!)?.[1] ?? "";
    if (name !== undefined) fields[decode(name)] = decode(value);
  }
  return fields;
}
