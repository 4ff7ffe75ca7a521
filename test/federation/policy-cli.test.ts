/**
 * `plein federation ...` as the admin commands run it (in-process, as over
 * the admin socket): every subcommand with good input, and bad input
 * answered with a usage line (status 2) or a clear error (status 1).
 * test/federation/policy-processes.test.ts runs the real binary.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runAdminCommand } from "../../src/cli/admin-commands.ts";
import { loadConfig } from "../../src/config.ts";
import { currentPolicy } from "../../src/domain/policy.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";
import { storeRemoteActor } from "../support/policy.ts";

const config = loadConfig({ PLEIN_ORIGIN: "https://plein.test", LOG_LEVEL: "error" });
let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase();
});

afterAll(async () => {
  await database?.close();
});

const plein = (...argv: string[]) => runAdminCommand(database.db, config, ["federation", ...argv]);

describe("plein federation", () => {
  test("list shows the mode, whether it is published and every rule", async () => {
    expect(await plein("list")).toEqual({ code: 0, output: "mode: blocklist\npublished: no\nno domain rules" });
    expect((await plein()).output).toBe("mode: blocklist\npublished: no\nno domain rules");
  });

  test("mode shows and sets the mode", async () => {
    expect(await plein("mode")).toEqual({ code: 0, output: "mode: blocklist" });
    expect(await plein("mode", "allowlist")).toEqual({ code: 0, output: "Federation mode is now allowlist" });
    expect((await currentPolicy(database.db)).mode).toBe("allowlist");
    expect(await plein("mode", "open")).toEqual({ code: 0, output: "Federation mode is now open" });
    expect(await plein("mode", "blocklist")).toEqual({ code: 0, output: "Federation mode is now blocklist" });
  });

  test("allow, silence and block set a rule (replacing the one a pattern had), with a note when the mode ignores it", async () => {
    expect(await plein("allow", "*.Example.NL")).toEqual({
      code: 0, output: "Allow rule for *.example.nl\nnote: allow rules count in allowlist mode only (the mode is blocklist)",
    });
    expect(await plein("silence", "quiet.example", "--comment", "too loud")).toEqual({ code: 0, output: "Silence rule for quiet.example" });
    expect(await plein("block", "evil.example")).toEqual({ code: 0, output: "Block rule for evil.example" });
    expect(await plein("block", "quiet.example")).toEqual({ code: 0, output: "Block rule for quiet.example" });
    expect((await plein("list")).output).toBe([
      "mode: blocklist", "published: no", "3 domain rules:",
      "  block   evil.example", "  allow   *.example.nl", "  block   quiet.example  (too loud)",
    ].join("\n"));
    await plein("mode", "open");
    expect((await plein("silence", "x.example")).output).toMatch(/note: the mode is open, so rules are kept but not applied/);
    await plein("mode", "blocklist");
    await plein("remove", "x.example");
  });

  test("block --purge removes what we hold from the domain", async () => {
    const actor = await storeRemoteActor(database.db, "plein.test", "https://spam.example/users/s");
    await database.db.insertInto("posts").values({
      iri: `${actor.iri}/1`, actor_id: actor.id, local: false, type: "Note", visibility: "public", published_at: new Date(),
    }).execute();
    const result = await plein("block", "*.spam.example", "--purge", "--comment", "spam");
    expect(result).toEqual({
      code: 0,
      output: "Block rule for *.spam.example\nPurged 1 posts, 0 likes, 0 follows, 0 memberships and 0 notifications of *.spam.example",
    });
    expect(await database.db.selectFrom("posts").select("id").where("actor_id", "=", actor.id).execute()).toEqual([]);
  });

  test("remove (or unset) drops a rule; removing one that is not there says so", async () => {
    expect(await plein("remove", "evil.example")).toEqual({ code: 0, output: "Removed the rule for evil.example" });
    expect(await plein("unset", "quiet.example")).toEqual({ code: 0, output: "Removed the rule for quiet.example" });
    expect(await plein("remove", "evil.example")).toEqual({ code: 0, output: "There was no rule for evil.example" });
  });

  test("publish on|off", async () => {
    expect((await plein("publish", "on")).output).toMatch(/now public/);
    expect((await currentPolicy(database.db)).published).toBe(true);
    expect((await plein("publish", "off")).output).toMatch(/no longer public/);
    expect((await currentPolicy(database.db)).published).toBe(false);
  });

  test("check says what the policy decides for a host, and why", async () => {
    await plein("mode", "allowlist");
    expect(await plein("check", "a.example.nl")).toEqual({ code: 0, output: "a.example.nl: allow (rules: *.example.nl)" });
    expect(await plein("check", "Elsewhere.example:443")).toEqual({ code: 0, output: "elsewhere.example: block (mode allowlist, no rule)" });
    await plein("mode", "blocklist");
  });

  test("--help prints the usage", async () => {
    const help = await plein("--help");
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/plein federation block DOMAIN \[--comment TEXT\] \[--purge\]/);
  });

  test.each([
    [["mode", "closed"], /the mode must be one of open, blocklist, allowlist/],
    [["mode", "open", "now"], /the mode must be one of/],
    [["block"], /a domain is required/],
    [["block", "a.example", "b.example"], /one domain at a time/],
    [["allow", "a.example", "--purge"], /Unknown option '--purge'/],
    [["block", "a.example", "--comment"], /argument missing/],
    [["publish", "maybe"], /publish takes on or off/],
    [["publish"], /publish takes on or off/],
    [["check"], /a host name is required/],
    [["frobnicate"], /unknown federation command "frobnicate"/],
    [["list", "extra"], /usage:/],
  ])("refuses %j with a usage message (status 2)", async (argv, message) => {
    const result = await plein(...argv);
    expect(result.code).toBe(2);
    expect(result.output).toMatch(message);
  });

  test.each([
    [["block", "https://evil.example/"], /Give a domain name, not a URL/],
    [["block", "evil.example:443"], /without a port/],
    [["allow", "a.*.example"], /wildcard/],
    [["silence", "not a domain"], /is not a domain name/],
    [["block", "plein.test"], /this server's own domain/],
    [["block", "x.example", "--comment", "x".repeat(1001)], /comment is longer than 1000/],
  ])("refuses %j with a clear error (status 1) and changes nothing", async (argv, message) => {
    const before = await currentPolicy(database.db);
    const result = await plein(...argv);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^error: /);
    expect(result.output).toMatch(message);
    expect((await currentPolicy(database.db)).rules).toEqual(before.rules);
  });

  test("is an admin command: `plein federation` is known to the CLI", async () => {
    const { ADMIN_COMMANDS } = await import("../../src/cli/admin-commands.ts");
    expect(ADMIN_COMMANDS).toContain("federation");
  });
});
