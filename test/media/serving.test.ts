import { describe, expect, it } from "vitest";
import { attachmentDisposition, fileHeaders, normaliseContentType, safeFileName, servedContentType } from "../../src/media/serving.ts";

describe("content types", () => {
  it.each([
    ["image/PNG", "image/png"],
    ["text/plain; charset=utf-8", "text/plain"],
    ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    ["", "application/octet-stream"],
    [null, "application/octet-stream"],
    ["nonsense", "application/octet-stream"],
    ["text/html\u0000", "application/octet-stream"],
    ["image/png\r\nX-Evil: 1", "application/octet-stream"],
    [`a/${"b".repeat(200)}`, "application/octet-stream"],
  ])("a declared %j is kept as %j", (declared, kept) => {
    expect(normaliseContentType(declared)).toBe(kept);
  });

  it.each([
    "text/html", "application/xhtml+xml", "image/svg+xml", "application/activity+json", "application/ld+json",
    "application/json", "text/javascript", "application/javascript", "text/xml", "application/xml", "multipart/x-mixed-replace",
    "application/x-shockwave-flash", "text/vtt",
  ])("%s is served as application/octet-stream", (type) => {
    expect(servedContentType(type)).toBe("application/octet-stream");
  });

  it.each(["image/png", "image/jpeg", "application/pdf", "text/plain", "video/mp4"])("%s is served as itself", (type) => {
    expect(servedContentType(`${type}; charset=x`)).toBe(type);
  });
});

describe("file names", () => {
  it.each([
    ["rapport.pdf", "rapport.pdf"],
    ["../../etc/passwd", "passwd"],
    ["C:\\Users\\anna\\begroting 2027.xlsx", "begroting 2027.xlsx"],
    ["evil\u202egpj.exe", "evilgpj.exe"],
    ["a\"b\r\nc.txt", "abc.txt"],
    ["", "file"],
    ["..", "file"],
    ["dir/", "file"],
    ["   notulen.docx  ", "notulen.docx"],
  ])("%j becomes %j", (given, safe) => {
    expect(safeFileName(given)).toBe(safe);
  });

  it("caps long names at 255 characters", () => {
    expect([...safeFileName(`${"é".repeat(300)}.txt`)]).toHaveLength(255);
  });

  it("offers the name for saving, never for display", () => {
    expect(attachmentDisposition("Begroting été 2027.pdf"))
      .toBe(`attachment; filename="Begroting _t_ 2027.pdf"; filename*=UTF-8''Begroting%20%C3%A9t%C3%A9%202027.pdf`);
    expect(attachmentDisposition("it's (1).txt")).toBe(`attachment; filename="it's (1).txt"; filename*=UTF-8''it%27s%20%281%29.txt`);
  });
});

describe("download headers", () => {
  it("force a safe type, an attachment, nosniff and a sandbox", () => {
    const headers = fileHeaders({ contentType: "text/html", fileName: "page.html", size: 12, sha256: "ab" });
    expect(headers).toMatchObject({
      "Content-Type": "application/octet-stream",
      "Content-Disposition": `attachment; filename="page.html"; filename*=UTF-8''page.html`,
      "X-Content-Type-Options": "nosniff",
      "Content-Length": "12",
      ETag: '"sha256-ab"',
    });
    expect(headers["Content-Security-Policy"]).toContain("sandbox");
    expect(headers["Content-Security-Policy"]).toContain("default-src 'none'");
    expect(headers["Cache-Control"]).toBe("private, no-store");
  });
});
