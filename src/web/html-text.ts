/** Stored post HTML as plain text for the pages and the feed (its own file: posts.ts and render.ts both use it). */
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: " " };

/** Drops tags in one pass (a regex like /<[^>]*>/g goes quadratic on many unclosed "<"). */
function stripTags(html: string): string {
  let out = "";
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf("<", i);
    if (open < 0) break;
    const close = html.indexOf(">", open + 1);
    if (close < 0) break; // no tag closes after this point: the rest is text
    out += html.slice(i, open);
    const tag = html.slice(open + 1, Math.min(close, open + 4)).toLowerCase();
    if (tag.startsWith("br")) out += "\n";
    else if (tag.startsWith("/p")) out += "\n\n";
    i = close + 1;
  }
  return out + html.slice(i);
}

/** Stored HTML to plain text paragraphs (tags dropped, common entities decoded), in linear time. */
export function htmlToParagraphs(html: string): string[] {
  const text = stripTags(html)
    .replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,6});/gi, (whole, name: string) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    });
  return text.split(/\n{2,}/).map((p) => p.trim()).filter((p) => p.length > 0);
}
