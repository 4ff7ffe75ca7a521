/**
 * Stream events travel with their transaction: heard once committed, never
 * when rolled back; other schemas' events and malformed payloads are not
 * heard. On the test database of either driver.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStreamEvent, publishStreamEvent, type StreamEvent, watchStreamEvents } from "../../src/domain/stream-events.ts";
import { openTestDatabase, testDatabaseUrl, type TestDatabase } from "../support/db.ts";
import { waitFor } from "../support/instances.ts";

let database: TestDatabase;
let stop: () => Promise<void>;
const heard: StreamEvent[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
  stop = await watchStreamEvents(database, testDatabaseUrl, (event) => heard.push(event));
});

afterAll(async () => {
  await stop?.();
  await database?.close();
});

describe("stream events", () => {
  it("are heard once their transaction commits, never after a rollback", async () => {
    const rolledBack = new Error("roll back");
    await expect(database.db.transaction().execute(async (trx) => {
      await publishStreamEvent(trx, { type: "update", postId: "101" });
      throw rolledBack;
    })).rejects.toBe(rolledBack);
    await database.db.transaction().execute(async (trx) => {
      await publishStreamEvent(trx, { type: "notification", notificationId: "7", recipientId: "3" });
      await publishStreamEvent(trx, { type: "delete", postId: "102" });
    });
    // In order: once the last of the committed ones is heard, the rolled-back one would have been.
    await waitFor(() => heard.some((e) => e.type === "delete"), { message: "committed events" });
    expect(heard).toEqual([
      { type: "notification", notificationId: "7", recipientId: "3" },
      { type: "delete", postId: "102" },
    ]);
  });

  it("ignores other schemas' events and malformed payloads", () => {
    const event = JSON.stringify({ type: "update", postId: "5" });
    expect(parseStreamEvent(`public ${event}`, "public")).toEqual({ type: "update", postId: "5" });
    expect(parseStreamEvent(`other ${event}`, "public")).toBeUndefined();
    for (const bad of ["public", "public {", "public null", "public []", `public {"type":"update","postId":"x"}`,
      `public {"type":"update","postId":5}`, `public {"type":"wipe","postId":"5"}`, `public {"type":"notification","notificationId":"1"}`]) {
      expect(parseStreamEvent(bad, "public"), bad).toBeUndefined();
    }
  });
});
