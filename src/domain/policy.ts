/**
 * The instance's federation policy: with which servers Plein exchanges
 * anything. A mode (`open`, `blocklist`, `allowlist`) and rules per domain
 * (`allow`, `silence`, `block`), `*.domain` for a domain and every host under it.
 *
 * - `open`: every server is allowed; the rules are kept but not applied.
 * - `blocklist`: block and silence rules apply; every other server is allowed.
 * - `allowlist`: only servers an allow (or silence) rule names are let in;
 *   every other server is blocked.
 * The most restrictive matching rule wins (block over silence over allow),
 * whichever of them is more specific: an explicit block beats any allow.
 *
 * A blocked server gets nothing and is heard from in nothing; a silenced one
 * federates, but its posts stay out of the public timelines and its follow
 * and join requests wait for approval. The edges ask before any work
 * (federation/policy.ts); the rules are read through a cache that every
 * change clears at once, in this process and, through NOTIFY, in every other
 * process on the same PostgreSQL (src/db/policy-changes.ts).
 */
import { isIP } from "node:net";
import { type Kysely, sql, type Transaction } from "kysely";
import type { Db } from "../db/database.ts";
import { listenForNotifications } from "../db/listen.ts";
import type { Actor, Database, DomainAction, FederationMode } from "../db/schema.ts";
import { DomainError, invalid } from "./errors.ts";

export type { DomainAction, FederationMode };
export const FEDERATION_MODES: readonly FederationMode[] = ["open", "blocklist", "allowlist"];
export const DOMAIN_ACTIONS: readonly DomainAction[] = ["allow", "silence", "block"];
/** What the policy says about one server. */
export type Decision = "allow" | "silence" | "block";

/** The mode when none has been stored (the default of PLEIN_FEDERATION_MODE). */
export const DEFAULT_MODE: FederationMode = "blocklist";

/** The NOTIFY channel of policy changes; the payload is the schema whose policy changed. */
export const POLICY_CHANNEL = "plein_federation_policy";

export interface DomainPattern {
  /** the host name, lower case, IDNs in punycode, no trailing dot */
  domain: string;
  /** `*.domain`: the domain itself and every host under it */
  subdomains: boolean;
}

export interface DomainRule extends DomainPattern {
  action: DomainAction;
  /** shown with the rule when the policy is published */
  comment: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface FederationPolicy {
  mode: FederationMode;
  published: boolean;
  rules: readonly DomainRule[];
}

/** How a rule is written: `example.nl` or `*.example.nl`. */
export function patternText(p: DomainPattern): string {
  return p.subdomains ? `*.${p.domain}` : p.domain;
}

const LABELS = /^(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))*$/;
const MAX_PATTERN = 260;

/**
 * A rule's domain as an admin types it: `example.nl`, `*.example.nl`, an IDN
 * (stored in punycode), an IPv4 address or a bracketed IPv6 address (no
 * wildcard for those). Not a URL, a port or a handle.
 */
export function parseDomainPattern(input: unknown): DomainPattern {
  if (typeof input !== "string" || input.trim() === "") throw invalid("A domain is required, such as example.nl or *.example.nl");
  const text = input.trim().toLowerCase();
  if (text.length > MAX_PATTERN) throw invalid("That domain is too long");
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(text)) throw invalid(`Give a domain name, not a URL: "${input.trim()}"`);
  const subdomains = text.startsWith("*.");
  const rest = subdomains ? text.slice(2) : text;
  if (rest.includes("*")) throw invalid(`"${input.trim()}": a wildcard may only open the domain, as in *.example.nl`);
  if (/[\s/@?#\\]/.test(rest)) throw invalid(`"${input.trim()}" is not a domain name`);
  const bare = rest.startsWith("[") && rest.endsWith("]") ? rest.slice(1, -1) : rest;
  if (isIP(bare) !== 0) {
    if (subdomains) throw invalid(`"${input.trim()}": a wildcard needs a domain name, not an address`);
    return { domain: isIP(bare) === 6 ? `[${new URL(`http://[${bare}]/`).hostname.slice(1, -1)}]` : bare, subdomains };
  }
  if (rest.includes(":") || rest.includes("[")) throw invalid(`"${input.trim()}": a rule names a domain without a port`);
  let host: string;
  try {
    host = new URL(`http://${rest}/`).hostname;
  } catch {
    throw invalid(`"${input.trim()}" is not a domain name`);
  }
  host = host.replace(/\.+$/, "");
  if (!LABELS.test(host) || host.length > 253) throw invalid(`"${input.trim()}" is not a domain name`);
  return { domain: host, subdomains };
}

/** A URL's or authority's host as rules compare it: lower case, no port, no trailing dot. */
export function normalizeHost(hostOrUrl: string | URL): string {
  if (hostOrUrl instanceof URL) return hostOrUrl.hostname.toLowerCase().replace(/\.+$/, "");
  let host = hostOrUrl.trim().toLowerCase();
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.lastIndexOf(":");
  if (colon >= 0 && host.indexOf(":") === colon) host = host.slice(0, colon);
  try {
    host = new URL(`http://${host}/`).hostname;
  } catch {
    // Not a host name at all: compared as written, it matches no rule but a literal one.
  }
  return host.replace(/\.+$/, "");
}

export function ruleMatches(rule: DomainPattern, host: string): boolean {
  return host === rule.domain || (rule.subdomains && host.endsWith(`.${rule.domain}`));
}

/** What the policy says about `host` (normalised, see normalizeHost). */
export function decide(policy: FederationPolicy, host: string): Decision {
  if (policy.mode === "open") return "allow";
  let listed = false;
  let silenced = false;
  for (const rule of matchingRules(policy, host)) {
    if (rule.action === "block") return "block";
    if (rule.action === "silence") silenced = true;
    listed = true;
  }
  if (silenced) return "silence";
  if (policy.mode === "allowlist" && !listed) return "block";
  return "allow";
}

/** Rules indexed by domain: a host is looked up once per label, not against every rule. */
const indexes = new WeakMap<FederationPolicy, Map<string, DomainRule[]>>();

function matchingRules(policy: FederationPolicy, host: string): DomainRule[] {
  let index = indexes.get(policy);
  if (!index) {
    index = new Map();
    for (const rule of policy.rules) {
      const list = index.get(rule.domain) ?? [];
      list.push(rule);
      index.set(rule.domain, list);
    }
    indexes.set(policy, index);
  }
  const found: DomainRule[] = [];
  for (const rule of index.get(host) ?? []) found.push(rule);
  if (!host.startsWith("[") && isIP(host) === 0) {
    for (let dot = host.indexOf("."); dot >= 0; dot = host.indexOf(".", dot + 1)) {
      for (const rule of index.get(host.slice(dot + 1)) ?? []) if (rule.subdomains) found.push(rule);
    }
  }
  return found;
}

/** Can the policy block any server at all? (If not, nobody need be asked about.) */
export function blocksAnyServer(policy: FederationPolicy): boolean {
  return policy.mode === "allowlist" || (policy.mode === "blocklist" && policy.rules.some((r) => r.action === "block"));
}

/** The most restrictive of several decisions (an actor on one host with its inbox on another). */
export function strictest(decisions: readonly Decision[]): Decision {
  if (decisions.includes("block")) return "block";
  return decisions.includes("silence") ? "silence" : "allow";
}

/* ---------------- reading, with a cache cleared by every change ---------------- */

interface CacheState {
  /** Serve from the cache at all: only while every change is sure to clear it. */
  enabled: boolean;
  generation: number;
  policy: Promise<FederationPolicy> | undefined;
}

const caches = new WeakMap<Db, CacheState>();

function cacheOf(db: Db): CacheState {
  let state = caches.get(db);
  if (!state) caches.set(db, state = { enabled: false, generation: 0, policy: undefined });
  return state;
}

/**
 * Lets `currentPolicy` keep the policy in memory for `db`, or stops it. Only
 * while every change reaches this process: on PGlite always (one process
 * holds the database; the CLI goes through it), on PostgreSQL while its
 * LISTEN connection is up (src/db/policy-changes.ts). Otherwise every
 * question reads the database.
 */
export function setPolicyCaching(db: Db, enabled: boolean): void {
  const state = cacheOf(db);
  state.enabled = enabled;
  policyChanged(db);
}

/**
 * Keeps the policy of `db` in memory for as long as changes are sure to be
 * heard: on PGlite from now on; on PostgreSQL (`databaseUrl`) while a LISTEN
 * connection for POLICY_CHANNEL is up. Returns a function that stops it.
 */
export async function watchPolicyChanges(db: Db, driver: "pg" | "pglite", databaseUrl: string | undefined): Promise<() => Promise<void>> {
  if (driver === "pglite") {
    setPolicyCaching(db, true);
    return async () => setPolicyCaching(db, false);
  }
  if (!databaseUrl) return async () => {};
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return listenForNotifications({
    url: databaseUrl,
    channel: POLICY_CHANNEL,
    payload: rows[0]!.schema,
    applicationName: `plein-policy ${process.pid}`,
    onNotification: () => policyChanged(db),
    onListening: (listening) => setPolicyCaching(db, listening),
  });
}

/** Forgets the cached policy of `db` (a change here, or a notification of one elsewhere). */
export function policyChanged(db: Db): void {
  const state = cacheOf(db);
  state.generation++;
  state.policy = undefined;
}

async function loadPolicy(db: Db): Promise<FederationPolicy> {
  const [settings, rules] = await Promise.all([
    db.selectFrom("federation_settings").select(["mode", "published"]).executeTakeFirst(),
    db.selectFrom("federation_domain_rules").selectAll().orderBy("domain").orderBy("subdomains").execute(),
  ]);
  return {
    mode: settings?.mode ?? DEFAULT_MODE,
    published: settings?.published ?? false,
    rules: rules.map((r) => ({
      domain: r.domain, subdomains: r.subdomains, action: r.action, comment: r.comment, createdAt: r.created_at, updatedAt: r.updated_at,
    })),
  };
}

/** The policy as it stands: from memory when the cache may be trusted, else from the database. */
export function currentPolicy(db: Db): Promise<FederationPolicy> {
  const state = cacheOf(db);
  if (!state.enabled) return loadPolicy(db);
  if (state.policy) return state.policy;
  const generation = state.generation;
  const loading = loadPolicy(db);
  state.policy = loading;
  loading.then(
    () => {
      // A change while loading: the next question reads again.
      if (state.generation !== generation && state.policy === loading) state.policy = undefined;
    },
    () => {
      if (state.policy === loading) state.policy = undefined;
    },
  );
  return loading;
}

/** What the policy says about the server at `hostOrUrl`. */
export async function decisionFor(db: Db, hostOrUrl: string | URL): Promise<Decision> {
  return decide(await currentPolicy(db), normalizeHost(hostOrUrl));
}

/** The servers an actor involves: where its documents live and where its inboxes are. */
export function actorHosts(actor: Pick<Actor, "iri" | "inbox_url" | "shared_inbox_url">): string[] {
  const hosts = new Set<string>();
  for (const url of [actor.iri, actor.inbox_url, actor.shared_inbox_url]) {
    if (url && URL.canParse(url)) hosts.add(normalizeHost(new URL(url)));
  }
  return [...hosts];
}

/** What the policy says about a remote actor (the strictest of its hosts); local actors are always allowed. */
export async function decisionForActor(db: Db, actor: Pick<Actor, "iri" | "inbox_url" | "shared_inbox_url" | "local">): Promise<Decision> {
  if (actor.local) return "allow";
  const policy = await currentPolicy(db);
  return strictest(actorHosts(actor).map((host) => decide(policy, host)));
}

/** A request involving a server the policy blocks: a DomainError of kind "forbidden". */
export class PolicyRefusal extends DomainError {
  readonly host: string;
  constructor(host: string) {
    super("forbidden", `This server does not federate with ${host} (federation policy)`);
    this.name = "PolicyRefusal";
    this.host = host;
  }
}

/** Refuses (PolicyRefusal) a remote actor whose server the policy blocks. */
export async function assertFederatesWith(db: Db, actor: Pick<Actor, "iri" | "inbox_url" | "shared_inbox_url" | "local">): Promise<void> {
  if (actor.local) return;
  const policy = await currentPolicy(db);
  const blocked = actorHosts(actor).find((host) => decide(policy, host) === "block");
  if (blocked !== undefined) throw new PolicyRefusal(blocked);
}

/** Follow and join requests from a silenced server wait for approval, even for open accounts and groups. */
export async function requestNeedsApproval(db: Db, requester: Actor): Promise<boolean> {
  return (await decisionForActor(db, requester)) === "silence";
}

/* ---------------- changing it ---------------- */

type Executor = Kysely<Database> | Transaction<Database>;

function notifyChange(trx: Executor) {
  return sql`select pg_notify(${POLICY_CHANNEL}, current_schema())`.execute(trx);
}

/** Runs a change in a transaction that also tells the other processes; clears this process's cache once committed. */
async function change<T>(db: Db, run: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await run(trx);
      await notifyChange(trx);
      return result;
    });
  } finally {
    policyChanged(db);
  }
}

/** Stores the starting mode (PLEIN_FEDERATION_MODE) unless a mode is stored already; returns the mode in force. */
export async function ensureFederationPolicy(db: Db, initialMode: FederationMode): Promise<FederationMode> {
  await db.insertInto("federation_settings").values({ mode: initialMode })
    .onConflict((oc) => oc.column("id").doNothing()).execute();
  policyChanged(db);
  return (await currentPolicy(db)).mode;
}

export interface PolicySettingsChange {
  mode?: FederationMode;
  published?: boolean;
}

export async function updateFederationSettings(db: Db, changes: PolicySettingsChange): Promise<FederationPolicy> {
  if (changes.mode !== undefined && !FEDERATION_MODES.includes(changes.mode)) {
    throw invalid(`mode must be one of ${FEDERATION_MODES.join(", ")}`);
  }
  await change(db, async (trx) => {
    const current = await trx.selectFrom("federation_settings").select(["mode", "published"]).forUpdate().executeTakeFirst();
    const next = { mode: changes.mode ?? current?.mode ?? DEFAULT_MODE, published: changes.published ?? current?.published ?? false };
    await trx.insertInto("federation_settings").values({ ...next, updated_at: new Date() })
      .onConflict((oc) => oc.column("id").doUpdateSet({ ...next, updated_at: new Date() })).execute();
  });
  return currentPolicy(db);
}

export interface RuleInput {
  action: DomainAction;
  comment?: string;
}

const MAX_COMMENT = 1000;

/**
 * Sets the rule for a pattern (replacing the one it had). `ownHost` is this
 * instance's host name: no rule may name it exactly.
 */
export async function setDomainRule(db: Db, ownHost: string, pattern: DomainPattern, input: RuleInput): Promise<DomainRule> {
  if (!DOMAIN_ACTIONS.includes(input.action)) throw invalid(`action must be one of ${DOMAIN_ACTIONS.join(", ")}`);
  if (input.comment !== undefined && input.comment.length > MAX_COMMENT) throw invalid(`comment is longer than ${MAX_COMMENT} characters`);
  if (!pattern.subdomains && pattern.domain === normalizeHost(ownHost)) throw invalid(`${pattern.domain} is this server's own domain`);
  const row = await change(db, (trx) => trx.insertInto("federation_domain_rules")
    .values({ domain: pattern.domain, subdomains: pattern.subdomains, action: input.action, comment: input.comment ?? "" })
    .onConflict((oc) => oc.columns(["domain", "subdomains"]).doUpdateSet({
      action: input.action, updated_at: new Date(), ...(input.comment === undefined ? {} : { comment: input.comment }),
    }))
    .returningAll().executeTakeFirstOrThrow());
  return { domain: row.domain, subdomains: row.subdomains, action: row.action, comment: row.comment, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Removes the rule for a pattern; false when there was none. */
export async function removeDomainRule(db: Db, pattern: DomainPattern): Promise<boolean> {
  const result = await change(db, (trx) => trx.deleteFrom("federation_domain_rules")
    .where("domain", "=", pattern.domain).where("subdomains", "=", pattern.subdomains).executeTakeFirst());
  return Number(result.numDeletedRows) > 0;
}

/** The published policy, or null when the admins keep it to themselves. */
export async function publishedPolicy(db: Db): Promise<FederationPolicy | null> {
  const policy = await currentPolicy(db);
  return policy.published ? policy : null;
}

/* ---------------- in SQL: the public timelines ---------------- */

/** `host` (an actors.domain-like expression, host[:port]) as rules compare it. */
const hostOf = (domain: ReturnType<typeof sql>) => sql`rtrim(regexp_replace(lower(${domain}), ':[0-9]+$', ''), '.')`;

const ruleMatchesHost = (host: ReturnType<typeof sql>) =>
  sql`(r.domain = ${host} or (r.subdomains and right(${host}, length(r.domain) + 1) = '.' || r.domain))`;

/**
 * SQL condition on `posts`: its author is local, or its author's server may
 * appear in the public timelines (allowed: neither silenced nor blocked).
 * Read from the tables, so it is always current. The author is looked up in
 * a scalar subquery, which PostgreSQL runs per post by primary key (an
 * EXISTS here became a hash join over every actor).
 */
export function fromPubliclyListedServer() {
  const host = hostOf(sql`a.domain`);
  const mode = sql`coalesce((select mode from federation_settings), ${DEFAULT_MODE})`;
  return sql<boolean>`(posts.local or ${mode} = 'open' or coalesce((
    select not (
      exists (select 1 from federation_domain_rules r where r.action in ('block', 'silence') and ${ruleMatchesHost(host)})
      or (${mode} = 'allowlist' and not exists (
        select 1 from federation_domain_rules r where r.action = 'allow' and ${ruleMatchesHost(host)}))
    ) from actors a where a.id = posts.actor_id), false))`;
}

/** SQL condition on a remote `actors` row aliased `a`: its server is the one `pattern` names. */
export function actorOnPattern(pattern: DomainPattern) {
  const host = hostOf(sql`a.domain`);
  return pattern.subdomains
    ? sql<boolean>`(${host} = ${pattern.domain} or right(${host}, ${pattern.domain.length + 1}) = ${`.${pattern.domain}`})`
    : sql<boolean>`${host} = ${pattern.domain}`;
}
