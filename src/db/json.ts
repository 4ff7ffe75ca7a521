/**
 * JSON text for a jsonb column. PostgreSQL's jsonb refuses the NUL character
 * (`\u0000`) inside strings, and remote input (an inbox body, a fetched
 * document) may carry it: it is dropped, and everything else kept as it is.
 * Returns undefined for what JSON cannot represent (undefined, functions).
 */
export function toJsonb(value: unknown): string | undefined {
  const json = JSON.stringify(value);
  return json === undefined || !json.includes("\\u0000") ? json : dropNulEscapes(json);
}

/** One pass over JSON text: `\u0000` escapes go, other escapes (`\\u0000` is a backslash and "u0000") stay. */
function dropNulEscapes(json: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < json.length; i++) {
    if (json.charCodeAt(i) !== 0x5c) continue; // backslash
    if (json.startsWith("u0000", i + 1)) {
      out += json.slice(from, i);
      from = i + 6;
    }
    i++; // the escaped character is never the start of another escape
  }
  return out + json.slice(from);
}
