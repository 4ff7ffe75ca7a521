/**
 * A post received from another instance reaches the user stream of its
 * followers here, as it was created, edited and deleted over there: the
 * inbox (the queue's work) publishes the event, the web side sends it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { closeInstances, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";
import { followAndWait, postStatus } from "../support/mastodon.ts";
import { openStreamSocket, type StreamSocket } from "../support/streaming.ts";

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let alice: TestUser;
let bob: TestUser;
let socket: StreamSocket | undefined;

beforeAll(async () => {
  instances = await startInstances(2);
  [A, B] = instances as [TestInstance, TestInstance];
  alice = await A.createUser("alice");
  bob = await B.createUser("bob");
  await followAndWait(bob, alice.handle);
});

afterAll(async () => {
  socket?.close();
  await closeInstances(instances);
});

describe("streaming a remote post", () => {
  it("sends update, status.update and delete of a followed remote account's post to the user stream", async () => {
    socket = await openStreamSocket(B.origin, { stream: "user", access_token: bob.token });
    const s = socket;
    const posted = await postStatus(alice, { status: "from the other server", visibility: "private" });
    const update = await s.next((m) => m.event === "update" && (JSON.parse(m.payload!) as MastodonStatus).uri === posted.uri, "update");
    const received = JSON.parse(update.payload!) as MastodonStatus;
    expect(received.account.acct).toBe(alice.handle);
    expect(received.visibility).toBe("private");

    const edited = await alice.api.put(`/api/v1/statuses/${posted.id}`, { status: "from the other server, edited" });
    expect(edited.status, edited.text).toBe(200);
    const changed = await s.next((m) => m.event === "status.update" && (JSON.parse(m.payload!) as MastodonStatus).id === received.id, "status.update");
    expect((JSON.parse(changed.payload!) as MastodonStatus).content).toContain("edited");

    expect((await alice.api.delete(`/api/v1/statuses/${posted.id}`)).status).toBe(200);
    const deleted = await s.next((m) => m.event === "delete", "delete");
    expect(deleted).toEqual({ stream: ["user"], event: "delete", payload: received.id });
  });
});
