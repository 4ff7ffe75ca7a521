import { getLogger } from "@logtape/logtape";
import type { MiddlewareHandler } from "hono";
import { decodeDict, parseBareItem, parseItem, parseKey } from "structured-field-values";
import type { Config } from "../../src/config.ts";
import { jsonNestsDeeperThan } from "../loader.ts";

/**
 * Checks the HTTP Signature *headers* of inbox POSTs before Fedify sees them,
 * for what Fedify 2.3.8 lets through:
 * - draft-cavage: a Signature header with duplicate parameters (Fedify keeps
 *   the last one; Mastodon 4.3.18), unparsable parameters, or a signed header
 *   list without `host` (Fedify only requires (request-target), date and
 *   digest: Misskey CVE-2023-49079);
 * - RFC 9421: a signature that does not cover `@method`, `content-digest` and
 *   the target (`@target-uri`, or `@authority` and `@path`) (Fedify verifies the body only if the sender chose to
 *   cover it), duplicate dictionary members or parameters;
 * - both: a Host that is not ours (a signed request for another server,
 *   replayed here) and a Date that is missing or unparsable (Fedify would
 *   answer 500).
 * Requests without any signature header pass: Fedify accepts them only with a
 * verifying Linked Data Signature or Object Integrity Proof, else answers 401.
 * Everything else (key ownership, digest match, time window) is Fedify's.
 *
 * It also refuses (400) a body that nests JSON deeper than real activities
 * ever do: Fedify expands JSON-LD (recursively, and before any signature is
 * checked), and a few kilobytes of nesting overflowed the stack (a 500).
 */

const logger = getLogger(["plein", "federation", "inbox", "guard"]);

const INBOX_PATH = /^\/users\/[^/]+\/inbox$|^\/inbox$/;
const MAX_SIGNATURE_HEADER = 8 * 1024;
const CAVAGE_PARAM = /^\s*([A-Za-z]+)=(?:"([^"]*)"|(\d+))\s*$/;
const CAVAGE_REQUIRED = ["(request-target)", "host", "date", "digest"];
const RFC9421_REQUIRED = ["@method", "content-digest"];

function checkCavage(signature: string): string | null {
  const params = new Map<string, string>();
  const segments = signature.split(",");
  if (segments.length > 10) return "too many Signature parameters";
  for (const segment of segments) {
    const m = CAVAGE_PARAM.exec(segment);
    if (!m) return "unparsable Signature parameter";
    const name = m[1]!.toLowerCase();
    if (params.has(name)) return `duplicate Signature parameter ${name}`;
    params.set(name, m[2] ?? m[3] ?? "");
  }
  for (const name of ["keyid", "headers", "signature"]) {
    if (!params.has(name)) return `Signature has no ${name}`;
  }
  const headers = params.get("headers")!.toLowerCase().split(/\s+/).filter((h) => h !== "");
  if (new Set(headers).size !== headers.length) return "a header is listed twice in the signature";
  for (const required of CAVAGE_REQUIRED) {
    if (!headers.includes(required)) return `the signature does not cover ${required}`;
  }
  return null;
}

/** Members of a structured-field dictionary with their parameter names; null if malformed or with duplicates. */
function dictionaryMembers(header: string): Map<string, string[]> | null {
  const members = new Map<string, string[]>();
  try {
    let s = header.trim();
    while (s.length > 0) {
      const key = parseKey(s);
      s = key.input_string;
      if (members.has(key.value)) return null;
      if (s[0] === "=") {
        s = s.substring(1);
        if (s[0] === "(") {
          s = s.substring(1);
          for (;;) {
            s = s.replace(/^ +/, "");
            if (s[0] === ")") {
              s = s.substring(1);
              break;
            }
            if (s.length === 0) return null;
            s = parseItem(s).input_string;
            if (s[0] !== " " && s[0] !== ")") return null;
          }
        } else {
          s = parseBareItem(s).input_string;
        }
      }
      const params: string[] = [];
      while (s[0] === ";") {
        s = s.substring(1).trim();
        const param = parseKey(s);
        if (params.includes(param.value)) return null;
        params.push(param.value);
        s = param.input_string;
        if (s[0] === "=") s = parseBareItem(s.substring(1)).input_string;
      }
      members.set(key.value, params);
      s = s.trim();
      if (s.length === 0) break;
      if (s[0] !== ",") return null;
      s = s.substring(1).trim();
      if (s.length === 0) return null;
    }
  } catch {
    return null;
  }
  return members;
}

function checkRfc9421(signatureInput: string, signature: string | null, headers: Headers): string | null {
  if (signature === null) return "Signature-Input without Signature";
  const inputs = dictionaryMembers(signatureInput);
  const sigs = dictionaryMembers(signature);
  if (!inputs || !sigs || inputs.size === 0) return "malformed or duplicated Signature-Input/Signature members";
  let decoded: ReturnType<typeof decodeDict>;
  try {
    decoded = decodeDict(signatureInput);
  } catch {
    return "malformed Signature-Input";
  }
  for (const [label, member] of Object.entries(decoded)) {
    if (!Array.isArray(member.value)) return `signature ${label} has no component list`;
    const components = member.value.map((c: { value: unknown }) => c.value);
    for (const required of RFC9421_REQUIRED) {
      if (!components.includes(required)) return `signature ${label} does not cover ${required}`;
    }
    if (!components.includes("@target-uri") && !(components.includes("@authority") && components.includes("@path"))) {
      return `signature ${label} covers neither @target-uri nor @authority and @path`;
    }
  }
  if (!headers.has("content-digest")) return "no Content-Digest header";
  return null;
}

/** What is wrong with an inbox POST's signature headers, or null. */
export function signatureHeaderProblem(headers: Headers, config: Config): string | null {
  const signature = headers.get("signature");
  const signatureInput = headers.get("signature-input");
  if (signature === null && signatureInput === null) return null;
  if ((signature?.length ?? 0) > MAX_SIGNATURE_HEADER || (signatureInput?.length ?? 0) > MAX_SIGNATURE_HEADER) {
    return "signature header too long";
  }
  const host = headers.get("host");
  if (host === null || host.toLowerCase() !== config.origin.host.toLowerCase()) return "Host is not this server";
  const date = headers.get("date");
  if (signatureInput === null) {
    if (date === null || Number.isNaN(Date.parse(date))) return "missing or unparsable Date";
    if (!headers.has("digest")) return "no Digest header";
    return checkCavage(signature!);
  }
  if (date !== null && Number.isNaN(Date.parse(date))) return "unparsable Date";
  return checkRfc9421(signatureInput, signature, headers);
}

/** Hono middleware: 401 for inbox POSTs whose signature headers we refuse. */
export function inboxSignatureGuard(config: Config): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== "POST" || !INBOX_PATH.test(c.req.path)) return next();
    const problem = signatureHeaderProblem(c.req.raw.headers, config);
    if (problem !== null) {
      logger.warn("Refused an inbox POST to {path}: {problem}", { path: c.req.path, problem });
      return c.json({ error: `Signature rejected: ${problem}` }, 401);
    }
    // The body is at most 1 MiB here (limitBody runs first); Fedify reads its own clone.
    if (jsonNestsDeeperThan(await c.req.raw.clone().text())) {
      logger.warn("Refused an inbox POST to {path}: JSON nested too deeply", { path: c.req.path });
      return c.json({ error: "Invalid activity: JSON nested too deeply" }, 400);
    }
    return next();
  };
}
