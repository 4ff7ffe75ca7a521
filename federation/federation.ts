import { type CircuitBreakerOptions, createFederation, type Federation, getUserAgent, type RetryPolicy } from "@fedify/fedify";
import type { TracerProvider } from "@opentelemetry/api";
import type { Config } from "../src/config.ts";
import { SOFTWARE } from "../src/version.ts";
import type { Db } from "../src/db/database.ts";
import { registerActors } from "./actors.ts";
import { noteOutboxError, recordRefusedOutboxMessage, withDeliveryAudit } from "./audit.ts";
import type { AppContext } from "../src/context.ts";
import { KyselyKvStore } from "./kv.ts";
import { withBoundedKeyCache } from "./key-cache.ts";
import { withRememberedSignatureSpecs } from "./signature-spec-cache.ts";
import { useSafeLoadersInFedify } from "./loader.ts";
import { policyCheck, withPolicyOnOutbox } from "./policy.ts";
import { registerNodeInfo } from "./nodeinfo.ts";
import { registerCollections } from "./collections.ts";
import { withInboxIdempotence } from "./inbox/idempotency.ts";
import { registerInbox } from "./inbox/index.ts";
import { registerObjects } from "./objects.ts";
import { KyselyMessageQueue } from "./queue.ts";
import { FEDIFY_OUTBOX_QUEUE, FEDIFY_QUEUE } from "../src/db/queue-rows.ts";
import { withCachedCircuitStates } from "./circuit-state-cache.ts";
import { registerDeliveryFailureHandler } from "./send.ts";

export interface PleinFederation {
  federation: Federation<AppContext>;
  kv: KyselyKvStore;
}

export interface FederationOptions {
  db: Db;
  config: Config;
  driver: "pg" | "pglite";
  /** Delivery tuning: Fedify's defaults (exponential backoff, breaker) unless given. */
  tuning?: DeliveryTuning;
  /** OpenTelemetry traces of what Fedify does (src/ops/tracing.ts); none unless given. */
  tracerProvider?: TracerProvider;
}

export interface DeliveryTuning {
  outboxRetryPolicy?: RetryPolicy;
  circuitBreaker?: false | CircuitBreakerOptions;
}

/** Builds the Fedify federation object from configuration; every dispatcher and listener registers here. */
export function createPleinFederation({ db, config, driver, tuning = {}, tracerProvider }: FederationOptions): PleinFederation {
  const kv = new KyselyKvStore(db);
  const userAgent = { software: SOFTWARE.userAgent, url: config.origin };
  const queueOptions = {
    db,
    listenUrl: driver === "pg" ? config.databaseUrl : undefined,
    releaseStaleLocksOnStart: driver === "pglite",
  };
  // Deliveries wait on remote servers, so the outbox has far more in flight than the
  // inbox, whose handlers wait on the database (and share its pool with web requests).
  const inboxQueue = new KyselyMessageQueue({ ...queueOptions, queue: FEDIFY_QUEUE, concurrency: config.queueConcurrency });
  const outboxQueue = new KyselyMessageQueue({ ...queueOptions, queue: FEDIFY_OUTBOX_QUEUE, concurrency: config.outboxConcurrency });
  // Deliveries queued to a server that has been blocked since are dropped (federation/policy.ts).
  // Each attempt to deliver closed-group content is recorded, after the policy's check (federation/audit.ts).
  // Both queues are wrapped: outbox messages queued in `fedify` before the outbox had a queue of its own
  // are delivered from there (Fedify handles any message on any of its queues).
  const guarded = (q: KyselyMessageQueue) => withDeliveryAudit(withPolicyOnOutbox(q, { db, config }, (message) => recordRefusedOutboxMessage({ db, config }, message)), { db, config });
  const inboxAndFanout = guarded(inboxQueue);
  const federation = createFederation<AppContext>({
    // Fedify's inbox idempotency reads our processed_activities (see inbox/idempotency.ts);
    // its public keys expire and failed key fetches are not stored (key-cache.ts).
    // The signature spec each server accepts is kept in memory, written only when it changes (signature-spec-cache.ts).
    // A host's circuit state is read from the database at most once a second per process (circuit-state-cache.ts).
    kv: withCachedCircuitStates(withRememberedSignatureSpecs(withBoundedKeyCache(withInboxIdempotence(kv, db)))),
    queue: { inbox: inboxAndFanout, fanout: inboxAndFanout, outbox: guarded(outboxQueue) },
    onOutboxError: noteOutboxError,
    origin: config.origin.href,
    allowPrivateAddress: config.allowPrivateAddress,
    // Both roles build the federation object; only `all` and `worker` run the queue.
    manuallyStartQueue: true,
    userAgent,
    ...(tuning.outboxRetryPolicy ? { outboxRetryPolicy: tuning.outboxRetryPolicy } : {}),
    ...(tuning.circuitBreaker !== undefined ? { circuitBreaker: tuning.circuitBreaker } : {}),
    ...(tracerProvider ? { tracerProvider } : {}),
  });
  // Fedify's own fetches (keys, actors, contexts) go through our capped loader, uncached (federation/loader.ts).
  useSafeLoadersInFedify(federation, {
    allowPrivateAddress: config.allowPrivateAddress, userAgent: getUserAgent(userAgent), policy: policyCheck({ db, config }),
  });
  registerActors(federation);
  registerNodeInfo(federation);
  registerObjects(federation);
  registerCollections(federation);
  registerDeliveryFailureHandler(federation);
  registerInbox(federation);
  return { federation, kv };
}
