/**
 * Earlier versions of edited posts (src/domain/posts/history.ts): the
 * original and the latest ones are kept when a post is edited without end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { createLocalPost, editLocalPost } from "../../src/domain/posts/authoring.ts";
import { MAX_KEPT_VERSIONS, postVersions } from "../../src/domain/posts/history.ts";
import { getPost } from "../../src/domain/posts/read.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

const ORIGIN = new URL("https://plein.test");
let handle: TestDatabase;
let alice: Actor;

beforeAll(async () => {
  handle = await openTestDatabase();
  alice = await createUser(handle.db, ORIGIN, { username: "alice", email: "a@plein.test", password: "correct horse battery" });
});

afterAll(async () => {
  await handle?.close();
});

const text = (n: number) => ({ contentHtml: `<p>v${n}</p>`, contentSource: `v${n}` });

describe("post versions", () => {
  it("keep the original and the latest versions of a post edited without end", async () => {
    const post = await createLocalPost(handle.db, ORIGIN, alice, { ...text(0), visibility: "public" });
    const edits = MAX_KEPT_VERSIONS + 5;
    for (let n = 1; n <= edits; n++) await editLocalPost(handle.db, alice, post.id, text(n));
    const versions = await postVersions(handle.db, (await getPost(handle.db, post.id))!);
    expect(versions.length).toBe(MAX_KEPT_VERSIONS + 1);
    expect(versions[0]!.contentSource).toBe("v0");
    expect(versions.slice(1).map((v) => v.contentSource)).toEqual(
      Array.from({ length: MAX_KEPT_VERSIONS }, (_, i) => `v${edits - MAX_KEPT_VERSIONS + 1 + i}`));
  }, 120_000);
});
