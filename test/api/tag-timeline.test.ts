/**
 * Mastodon's tag timeline: public posts with the tag (or any[] of more), all[]
 * of some, none[] of others, local or remote only; never a post the viewer may
 * not see, a closed group's post included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
const s: Record<string, MastodonStatus> = {};

beforeAll(async () => {
  api = await startApi();
  [alice, bob] = await Promise.all([api.user("alice"), api.user("bob")]);
  await createGroup(api.running.deps.db, api.running.config.origin, alice.actor, { name: "kring", visibility: "closed", joinMode: "approval", modules: defaultModules() });
  s.fiets = await api.post(alice, { status: "Op de #fiets naar het #stadhuis" });
  s.fietsOnly = await api.post(bob, { status: "Nieuwe #Fiets" });
  s.trein = await api.post(bob, { status: "Met de #trein" });
  s.followers = await api.post(alice, { status: "#fiets voor volgers", visibility: "private" });
  s.unlisted = await api.post(alice, { status: "#fiets stil", visibility: "unlisted" });
  s.group = await api.post(alice, { status: "@kring #fiets in de kring" });
});

afterAll(async () => {
  await api?.close();
});

const ids = (list: { id: string }[]) => list.map((x) => x.id);
const tag = (path: string, user?: User) => api.request<MastodonStatus[]>("GET", `/api/v1/timelines/tag/${path}`, user ? { token: user.token } : {});

describe("tag timeline", () => {
  it("lists public posts with the tag, any case, newest first; not unlisted, followers-only or closed-group posts", async () => {
    for (const user of [undefined, alice, bob]) {
      expect(ids((await tag("fiets", user)).body)).toEqual([s.fietsOnly!.id, s.fiets!.id]);
    }
    expect(ids((await tag("FIETS")).body)).toEqual([s.fietsOnly!.id, s.fiets!.id]);
  });

  it("takes any[], all[] and none[]", async () => {
    expect(ids((await tag("fiets?any[]=trein")).body)).toEqual([s.trein!.id, s.fietsOnly!.id, s.fiets!.id]);
    expect(ids((await tag("fiets?all[]=stadhuis")).body)).toEqual([s.fiets!.id]);
    expect(ids((await tag("fiets?none[]=stadhuis")).body)).toEqual([s.fietsOnly!.id]);
  });

  it("pages with max_id and a Link header; local, remote and only_media", async () => {
    const first = await tag("fiets?limit=1");
    expect(ids(first.body)).toEqual([s.fietsOnly!.id]);
    expect(first.headers.get("link")).toContain(`max_id=${s.fietsOnly!.id}`);
    expect(ids((await tag(`fiets?max_id=${s.fietsOnly!.id}`)).body)).toEqual([s.fiets!.id]);
    expect(ids((await tag("fiets?local=true")).body)).toHaveLength(2);
    expect((await tag("fiets?remote=true")).body).toEqual([]);
    expect((await tag("fiets?only_media=true")).body).toEqual([]);
  });

  it("leaves out accounts the viewer mutes, as the public timeline does", async () => {
    expect((await api.request("POST", `/api/v1/accounts/${bob.id}/mute`, { token: alice.token })).status).toBe(200);
    expect(ids((await tag("fiets", alice)).body)).toEqual([s.fiets!.id]);
    expect(ids((await tag("fiets", bob)).body)).toEqual([s.fietsOnly!.id, s.fiets!.id]);
    expect((await api.request("POST", `/api/v1/accounts/${bob.id}/unmute`, { token: alice.token })).status).toBe(200);
    expect(ids((await tag("fiets", alice)).body)).toEqual([s.fietsOnly!.id, s.fiets!.id]);
  });

  it("a name that is no hashtag is an empty list; malformed parameters are a 422", async () => {
    expect((await tag("%E2%9C%A8")).body).toEqual([]);
    expect((await tag("nosuchtag")).body).toEqual([]);
    for (const query of ["any[]=a%20b", "all[]=", "none[]=x&none[]=y&none[]=z&none[]=w&none[]=v", "local=perhaps", "limit=many", "max_id=x"]) {
      expect((await tag(`fiets?${query}`)).status, query).toBe(422);
    }
  });
});
