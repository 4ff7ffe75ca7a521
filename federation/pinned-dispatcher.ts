/**
 * Every connection to another server goes to the address that was checked.
 *
 * Checking a host name's addresses and then handing the URL to `fetch`
 * resolves the name twice: a server that answers a public address to the
 * check and a private one to the connection (DNS rebinding) reaches the
 * private one. Here the name is resolved once, as the connection is made
 * (`lookup` of `net.connect`/`tls.connect`): every address it resolves to
 * must be public (unless PLEIN_ALLOW_PRIVATE_ADDRESS), and the socket
 * connects to those very addresses. An address literal is checked as it is.
 *
 * Our own fetches pass `pinnedDispatcher(...)` (federation/loader.ts,
 * media-fetch.ts); `installPinnedDispatcher` makes it the global dispatcher
 * of `fetch`, for the fetches Fedify makes itself (WebFinger, deliveries to
 * inboxes); the CLI (`src/cli/plein.ts`) installs it for every process it starts.
 */
import type { LookupAddress, LookupOptions } from "node:dns";
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { createSecureContext } from "node:tls";
import { expandIPv6Address, isValidPublicIPv4Address, isValidPublicIPv6Address, UrlError } from "@fedify/fedify";
import { Agent, buildConnector, type Dispatcher, setGlobalDispatcher } from "undici";

/** A connection refused because the host is, or resolves to, a private or special address. */
export class PrivateAddressError extends UrlError {
  constructor(host: string, address: string) {
    super(host === address ? `Invalid or private address: ${address}` : `Invalid or private address: ${host} resolves to ${address}`);
    this.name = "PrivateAddressError";
  }
}

/**
 * IPv6 ranges Fedify 2.3's `isValidPublicIPv6Address` lets through that are
 * not public either: deprecated site-local fec0::/10 (still routed inside
 * some networks), the documentation ranges 2001:db8::/32 and 3fff::/20, the
 * discard prefix 100::/64 and SRv6 SIDs 5f00::/16.
 */
function isSpecialIPv6(address: string): boolean {
  const words = expandIPv6Address(address).split(":").map((w) => Number.parseInt(w, 16));
  if (words.length !== 8 || words.some((w) => !Number.isInteger(w))) return true;
  const [w0, w1, w2, w3] = words as [number, number, number, number];
  return (w0 & 0xffc0) === 0xfec0
    || (w0 === 0x2001 && w1 === 0x0db8)
    || (w0 === 0x3fff && (w1 & 0xf000) === 0)
    || (w0 === 0x0100 && w1 === 0 && w2 === 0 && w3 === 0)
    || w0 === 0x5f00;
}

/**
 * Is this IP address public? Not loopback, private, link-local, CGNAT,
 * multicast, IPv4-mapped/NAT64/6to4/Teredo forms of those, or another
 * special range. Anything that is not an address literal is not public.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isValidPublicIPv4Address(address);
  if (family === 6) return isValidPublicIPv6Address(address) && !isSpecialIPv6(address);
  return false;
}

/** Resolves a host name to all its addresses (`dns.lookup`, as `net.connect` would). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true });

export interface PinnedOptions {
  allowPrivateAddress: boolean;
  /** Tests only: answers in place of DNS. */
  resolve?: Resolve;
}

function wantedFamily(family: LookupOptions["family"]): 4 | 6 | undefined {
  if (family === 4 || family === "IPv4") return 4;
  if (family === 6 || family === "IPv6") return 6;
  return undefined;
}

/**
 * A `lookup` for `net.connect`: one resolution per call, and a refusal
 * (PrivateAddressError) when any address is not public: a name that mixes
 * public and private answers is not trusted with either.
 */
export function checkedLookup(options: PinnedOptions): LookupFunction {
  const resolve = options.resolve ?? systemResolve;
  return (hostname, lookupOptions, callback) => {
    resolve(hostname).then((resolved) => {
      if (!options.allowPrivateAddress) {
        const refused = resolved.find((a) => !isPublicAddress(a.address));
        if (refused) throw new PrivateAddressError(hostname, refused.address);
      }
      const family = wantedFamily(lookupOptions.family);
      const addresses = family === undefined ? resolved : resolved.filter((a) => a.family === family);
      const first = addresses[0];
      if (first === undefined) {
        throw Object.assign(new Error(`${hostname}: no address`), { code: "ENOTFOUND", hostname });
      }
      if (lookupOptions.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    }).catch((error: NodeJS.ErrnoException) => callback(error, ""));
  };
}

/**
 * How long a request may wait for the response's headers, or between two
 * chunks of its body (undici's default is 300 s). Fedify's deliveries have no
 * deadline of their own: a server that accepts the connection and never
 * answers held one of a worker's four delivery slots for five minutes. Longer
 * than the loaders' own deadlines (FETCH_LIMITS.timeoutMs), which still apply
 * to them first.
 */
export const SILENCE_TIMEOUT_MS = 15_000;

/** An undici Agent whose every connection is pinned and checked as above. */
export function createPinnedAgent(options: PinnedOptions): Agent {
  // One TLS context for every connection: without it each new connection builds
  // its own, loading the trusted certificates again (about 1 ms of CPU, which a
  // fan-out to 1,000 servers pays 1,000 times).
  const connectTo = buildConnector({ lookup: checkedLookup(options), secureContext: createSecureContext() });
  return new Agent({
    headersTimeout: SILENCE_TIMEOUT_MS,
    bodyTimeout: SILENCE_TIMEOUT_MS,
    connect(connectOptions, callback) {
      const host = connectOptions.hostname;
      // An address literal is not looked up (net.connect skips `lookup`): check it here.
      if (!options.allowPrivateAddress && isIP(host) !== 0 && !isPublicAddress(host)) {
        callback(new PrivateAddressError(host, host), null);
        return;
      }
      connectTo(connectOptions, callback);
    },
  });
}

const shared = new Map<boolean, Agent>();

/** The process's pinned agent for this setting (one connection pool each). */
export function pinnedDispatcher(allowPrivateAddress: boolean): Dispatcher {
  let agent = shared.get(allowPrivateAddress);
  if (!agent) {
    agent = createPinnedAgent({ allowPrivateAddress });
    shared.set(allowPrivateAddress, agent);
  }
  return agent;
}

/**
 * Makes the pinned agent the dispatcher of the global `fetch`, which Fedify
 * uses for the requests it makes itself. Process-wide: the server's entry
 * point calls it (src/cli/plein.ts), not `startPlein`, which tests run several
 * times in one process next to their own loopback fetches.
 */
export function installPinnedDispatcher(allowPrivateAddress: boolean): void {
  setGlobalDispatcher(pinnedDispatcher(allowPrivateAddress));
}

/**
 * `fetch` whose connections go through `dispatcher`. Node's fetch takes
 * undici's `dispatcher` option; the DOM `RequestInit` type leaves it out.
 */
export function fetchThrough(dispatcher: Dispatcher, request: Request, init: RequestInit): Promise<Response> {
  return fetch(request, { ...init, dispatcher } as RequestInit);
}

/** The PrivateAddressError behind a failed `fetch` (its TypeError's cause), if that is why it failed. */
export function privateAddressRefusal(error: unknown): PrivateAddressError | undefined {
  if (error instanceof PrivateAddressError) return error;
  if (error instanceof TypeError && error.cause instanceof PrivateAddressError) return error.cause;
  return undefined;
}
