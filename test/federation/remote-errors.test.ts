/**
 * Which errors count as caused by the remote side (logged and skipped) and
 * which fail the work so it is retried: only the first kind may be swallowed.
 */
import { FetchError, UrlError } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { DocumentRejectedError } from "../../federation/loader.ts";
import { isRemoteInputError, parseRemote, RemoteDocumentError } from "../../federation/remote.ts";
import { invalid } from "../../src/domain/errors.ts";

/** What jsonld throws when a context loader fails: the loader's error as `details.cause`. */
function jsonLdError(cause: unknown): Error {
  const error = new Error("Dereferencing a URL did not result in a valid JSON-LD object.");
  error.name = "jsonld.InvalidUrl";
  Object.assign(error, { details: { code: "loading remote context failed", cause } });
  return error;
}

describe("isRemoteInputError", () => {
  it("counts refused documents, failed fetches, refused addresses, domain refusals and timeouts", () => {
    for (const error of [
      new RemoteDocumentError("bad"), new DocumentRejectedError("https://x.example/", "too big"),
      new FetchError(new URL("https://x.example/"), "HTTP 404"), new UrlError("private address"), invalid("no"),
      new DOMException("deadline", "TimeoutError"),
    ]) expect(isRemoteInputError(error), String(error)).toBe(true);
  });

  it("does not count programming errors or a failing database", () => {
    const database = Object.assign(new Error("connection terminated unexpectedly"), { code: "57P01" });
    for (const error of [new TypeError("cannot read properties of undefined"), new SyntaxError("x"), new RangeError("x"), database]) {
      expect(isRemoteInputError(error), String(error)).toBe(false);
    }
  });
});

describe("parseRemote", () => {
  it("turns what a parser refuses into a RemoteDocumentError", async () => {
    await expect(parseRemote("doc", () => Promise.reject(new TypeError("Invalid type")))).rejects.toBeInstanceOf(RemoteDocumentError);
    await expect(parseRemote("doc", () => Promise.reject(jsonLdError(new DocumentRejectedError("https://x.example/c", "too big")))))
      .rejects.toBeInstanceOf(RemoteDocumentError);
  });

  it("rethrows a failure of our own underneath the parser (the context cache's database) as it is", async () => {
    const database = Object.assign(new Error("connection terminated unexpectedly"), { code: "57P01" });
    await expect(parseRemote("doc", () => Promise.reject(jsonLdError(database)))).rejects.toBe(database);
    await expect(parseRemote("doc", () => Promise.reject(database))).rejects.toBe(database);
  });
});
