import { describe, expect, it } from "vitest";
import {
  escapeHtml,
  findHashtags,
  findMentions,
  type FormatOptions,
  formatPostText,
  MAX_POST_CHARS,
  postTextLength,
} from "../../src/domain/text.ts";

const known: Record<string, { actorId: string; url: string; username: string }> = {
  bob: { actorId: "2", url: "https://plein.test/@bob", username: "bob" },
  "carol@remote.example": { actorId: "7", url: "https://remote.example/@carol", username: "carol" },
};

const options: FormatOptions = {
  mention: (ref) => known[ref.host ? `${ref.username}@${ref.host}`.toLowerCase() : ref.username.toLowerCase()],
  tagUrl: (tag) => `https://plein.test/tags/${encodeURIComponent(tag)}`,
};

const format = (text: string) => formatPostText(text, options);

describe("formatPostText", () => {
  it("escapes HTML and keeps paragraphs and line breaks", () => {
    expect(format("<script>alert('x')</script> & \"q\"").html)
      .toBe("<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>");
    expect(format("one\ntwo\n\nthree").html).toBe("<p>one<br>two</p><p>three</p>");
    expect(format("a\r\n\r\n\r\nb").html).toBe("<p>a</p><p>b</p>");
    expect(format("   ").html).toBe("");
  });

  it("links http(s) URLs and leaves trailing punctuation outside", () => {
    const { html } = format("see https://example.com/a?b=1&c=2. and (http://x.example/p) too");
    expect(html).toContain('<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="nofollow noopener noreferrer">https://example.com/a?b=1&amp;c=2</a>.');
    expect(html).toContain('(<a href="http://x.example/p" target="_blank" rel="nofollow noopener noreferrer">http://x.example/p</a>)');
    expect(format("https://en.wikipedia.org/wiki/Foo_(bar)").html).toContain('href="https://en.wikipedia.org/wiki/Foo_(bar)"');
  });

  it("does not link other schemes or broken URLs", () => {
    const { html } = format("javascript:alert(1) data:text/html,x ftp://x https:// http://");
    expect(html).not.toContain("<a");
  });

  it("cannot break out of the href attribute", () => {
    const { html } = format('https://evil.example/"onmouseover="alert(1)');
    expect(html).toContain('href="https://evil.example/"');
    expect(html).not.toContain('"onmouseover');
  });

  it("links resolved mentions, local and remote, and reports their ids once", () => {
    const r = format("hi @bob and @Carol@Remote.Example, again @bob");
    expect(r.html).toContain('<span class="h-card" translate="no"><a href="https://plein.test/@bob" class="u-url mention">@<span>bob</span></a></span>');
    expect(r.html).toContain('<a href="https://remote.example/@carol" class="u-url mention">@<span>carol</span></a>');
    expect(r.mentionIds).toEqual(["2", "7"]);
  });

  it("leaves unresolvable mentions as plain text", () => {
    const r = format("hello @nobody@nowhere.example and @ghost");
    expect(r.html).toBe("<p>hello @nobody@nowhere.example and @ghost</p>");
    expect(r.mentionIds).toEqual([]);
  });

  it("does not take e-mail addresses or URL paths for mentions", () => {
    expect(findMentions("mail bob@plein.test or https://x.example/@bob")).toEqual([]);
    expect(format("mail bob@plein.test").mentionIds).toEqual([]);
  });

  it("links hashtags, lower-cases them and ignores all-digit tags", () => {
    const r = format("#Hello world #hello #2024 #fediverse_dev a#b &#39;");
    expect(r.tags).toEqual(["hello", "fediverse_dev"]);
    expect(r.html).toContain('<a href="https://plein.test/tags/hello" class="mention hashtag" rel="tag">#<span>Hello</span></a>');
    expect(r.html).toContain("#2024");
    expect(r.html).not.toContain("tags/2024");
    expect(r.html).not.toContain("tags/b");
  });

  it("handles non-Latin hashtags", () => {
    expect(format("#überall #日本語").tags).toEqual(["überall", "日本語"]);
  });
});

describe("findMentions / findHashtags", () => {
  it("finds distinct mentions with and without host", () => {
    expect(findMentions("@alice @alice @bob@host.example:8443 @Bob@HOST.example:8443 x@y")).toEqual([
      { username: "alice", host: null },
      { username: "bob", host: "host.example:8443" },
    ]);
  });

  it("rejects hosts with bad labels", () => {
    expect(findMentions("@a@-bad-.example")).toEqual([]);
  });

  it("finds hashtags", () => {
    expect(findHashtags("#One #two #ONE")).toEqual(["one", "two"]);
  });
});

describe("postTextLength", () => {
  it("counts code points, links as 23 and remote mentions by their user part", () => {
    expect(postTextLength("héllo 😀")).toBe(7);
    expect(postTextLength(`x https://example.com/${"a".repeat(200)}`)).toBe(2 + 23);
    expect(postTextLength("@carol@remote.example hi")).toBe("@carol hi".length);
  });

  it("a text of exactly the maximum fits", () => {
    expect(postTextLength("a".repeat(MAX_POST_CHARS))).toBe(MAX_POST_CHARS);
  });
});

describe("linear time on hostile input", () => {
  it("formats long pathological inputs quickly", () => {
    const inputs = [
      "@".repeat(50_000),
      `@${"a".repeat(50_000)}`,
      `@a@${"a-".repeat(25_000)}_`,
      `${"@a@b.".repeat(10_000)}`,
      `http://${"(".repeat(50_000)}`,
      `${"#".repeat(25_000)}${"a".repeat(25_000)}`,
      `${"\n \n".repeat(20_000)}x`,
      "https://x.example/" + ".".repeat(50_000),
    ];
    for (const input of inputs) {
      const out = format(input);
      expect(typeof out.html).toBe("string");
      postTextLength(input);
    }
  });
});

describe("escapeHtml", () => {
  it("escapes the five characters", () => {
    expect(escapeHtml(`<>&"'`)).toBe("&lt;&gt;&amp;&quot;&#39;");
  });
});
