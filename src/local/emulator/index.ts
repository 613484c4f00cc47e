// The local OCI emulator: one loopback HTTP server that speaks the REST paths of Object Storage,
// KMS (vault + per-vault management endpoints), Secrets, Functions and Events as the real OCI
// TypeScript SDK sends them, verifies every request's signature (resource principal, API key or
// session token), and keeps a ground-truth model of how each object version's data key is wrapped.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiKeyRegistry, type ApiKeyOptions, type IssuedApiKey } from "./api-keys.js";
import { bucketRoutes } from "./bucket-routes.js";
import { EmulatorState } from "./emulator-state.js";
import { eventsRoutes } from "./events-routes.js";
import { FaultInjector } from "./fault-injector.js";
import type { FunctionInvokers } from "./function-invokers.js";
import { functionsRoutes } from "./functions-routes.js";
import { kmsLifecycleRoutes } from "./kms-lifecycle-routes.js";
import { kmsRoutes } from "./kms-routes.js";
import { MetricsStore, monitoringRoutes } from "./monitoring-routes.js";
import { NotificationsStore, onsRoutes } from "./ons-routes.js";
import { emptySeedIds, loadSeed, SeedSchema, type Seed, type SeedIds } from "./load-seed.js";
import { objectStorageRoutes } from "./object-storage-routes.js";
import { startOkeProxymux, type IssuedOkeWorkloadIdentity, type OkeWorkloadIdentityOptions } from "./oke-proxymux.js";
import { createRequestHandler, type RequestRecord } from "./request-handler.js";
import { RequestStats } from "./request-stats.js";
import { retentionRoutes } from "./retention-routes.js";
import type { Route } from "./router.js";
import { secretsRoutes } from "./secrets-routes.js";
import { tierRoutes } from "./tier-routes.js";
import {
  TokenIssuer,
  type IssuedResourcePrincipal,
  type IssuedSessionToken,
  type ResourcePrincipalOptions,
  type SessionTokenOptions,
} from "./token-issuer.js";
import { workRequestRoutes } from "./work-request-routes.js";

export { ApiError } from "./api-error.js";
export { ApiKeyRegistry } from "./api-keys.js";
export type { ApiKeyEntry, ApiKeyOptions, IssuedApiKey } from "./api-keys.js";
export { EmulatorState, wrappingLabel } from "./emulator-state.js";
export type { EmulatorStateOptions, PutObjectOptions, RuleActionInput, RuleInput, VersionFields } from "./emulator-state.js";
export { KeyLifecycle } from "./key-lifecycle.js";
export {
  ARCHIVED_NOT_RESTORED,
  CURRENT_KEY_VERSION,
  KEY_INCORRECT_STATE,
  KEY_NOT_USABLE,
  NO_BUCKET_KMS_KEY,
  NOT_ARCHIVED,
  READ_ONLY_BUCKET,
  RETENTION_RULE_ACTIVE,
  RETENTION_RULE_LOCKED,
} from "./refusals.js";
export type { Refusal } from "./refusals.js";
export { Replication } from "./replication.js";
export type { ReplicationStats } from "./replication.js";
export { RetentionRules, retainedUntil } from "./retention-rules.js";
export type { RetentionRuleInput } from "./retention-rules.js";
export { archivalStateOf, Tiers } from "./storage-tiers.js";
export { FaultInjector } from "./fault-injector.js";
export type { FaultAction, FaultHandle, FaultInjectorOptions, FaultRequest, FaultSpec } from "./fault-injector.js";
export { FunctionInvokers } from "./function-invokers.js";
export type { Admit, DetachedOutcome, InvokeRequest, InvokeResult, Invoker, InvokerOptions } from "./function-invokers.js";
export { loadSeed, SeedSchema } from "./load-seed.js";
export { MetricsStore } from "./monitoring-routes.js";
export type { MetricPoint, MetricsPost, MetricStream } from "./monitoring-routes.js";
export { NotificationsStore } from "./ons-routes.js";
export type { PublishedMessage, Topic, TopicState } from "./ons-routes.js";
export type { Seed, SeedIds, SeedObject, SeedObjectBatch } from "./load-seed.js";
export type * from "./model.js";
export type { IssuedOkeWorkloadIdentity, OkeWorkloadIdentityOptions, ProxymuxExchange } from "./oke-proxymux.js";
export { randomOcid, randomVersionId } from "./random-ids.js";
export { BOTH_KEYS_MESSAGE } from "./reencrypt-object.js";
export type { RequestRecord } from "./request-handler.js";
export { RequestStats } from "./request-stats.js";
export { sseCKeyDetails, sseCKeySha256 } from "./sse-c.js";
export type { SseCKeyDetails } from "./sse-c.js";
export { selfSignedCert } from "./self-signed-cert.js";
export type { SelfSignedCert } from "./self-signed-cert.js";
export { keyFingerprint } from "./token-issuer.js";
export type {
  IssuedResourcePrincipal,
  IssuedSessionToken,
  ResourcePrincipalOptions,
  RpstClaims,
  SessionTokenClaims,
  SessionTokenOptions,
} from "./token-issuer.js";
export type { Caller } from "./verify-signature.js";
export { WorkRequests, percentComplete } from "./work-requests.js";
export type { OtherKeyPolicy } from "./work-requests.js";

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  seed?: Seed | undefined;
  /** Default: the seed's namespace, else "testns". */
  namespace?: string | undefined;
  tenancyId?: string | undefined;
  /** Delay added to every request (same as faults.setBaseLatency). */
  latencyMs?: number | undefined;
  /** Seed for faults with a `probability` (same as faults.setSeed). Default: Math.random. */
  faultSeed?: number | undefined;
}

/** Base URLs to assign to each SDK client's `endpoint`. */
export interface EmulatorEndpoints {
  /** ObjectStorageClient. */
  objectStorage: string;
  /** KmsVaultClient. KmsManagementClient takes each vault's `managementEndpoint` from GetVault instead. */
  kmsVault: string;
  /** SecretsClient (its setter appends /20190301). */
  secrets: string;
  /** FunctionsManagementClient and FunctionsInvokeClient (their setters append /20181201). */
  functions: string;
  /** EventsClient (its setter appends /20181201). */
  events: string;
  /** NotificationDataPlaneClient and NotificationControlPlaneClient (their setters append /20181201). */
  notifications: string;
  /** MonitoringClient for PostMetricData (the telemetry-ingestion endpoint; its setter appends /20180401). */
  monitoring: string;
}

export interface Emulator {
  url: string;
  endpoints: EmulatorEndpoints;
  state: EmulatorState;
  faults: FaultInjector;
  /** Every request received, in arrival order. */
  requests: RequestRecord[];
  /** Requests in flight per operation, and the most at once: `stats.inFlight(op)`, `stats.maxInFlight(op)`, `stats.reset()`. */
  stats: RequestStats;
  /** Same object as `state.functions`: `setInvoker(fnId, invoker)`, `idle()`. */
  functions: FunctionInvokers;
  /** Notifications: `createTopic()`, `topics`, every message published (`messages`, `messagesFor(topicId)`). */
  notifications: NotificationsStore;
  /** Monitoring: every PostMetricData call (`posts`), accepted data points (`points()`, `sum()`), `maxCallsInOneSecond`. */
  metrics: MetricsStore;
  /** The OCIDs the seed created, by seed name (empty maps without a seed). */
  seedIds: SeedIds;
  /** The OCI_RESOURCE_PRINCIPAL_* env vars of a fake function whose token this emulator accepts. */
  issueResourcePrincipal(o: ResourcePrincipalOptions): Promise<IssuedResourcePrincipal>;
  /**
   * An API signing key for a user of this tenancy, with the PEM and an OCI config file ([DEFAULT]:
   * user, fingerprint, tenancy, region, key_file) written to a temp dir. Requests signed by
   * ConfigFileAuthenticationDetailsProvider with it (keyId "<tenancy>/<user>/<fingerprint>") verify.
   */
  issueApiKey(o?: ApiKeyOptions): Promise<IssuedApiKey>;
  /** A user session token and its key, with a config file for SessionAuthDetailProvider (keyId "ST$<token>"). */
  issueSessionToken(o?: SessionTokenOptions): Promise<IssuedSessionToken>;
  /** An OKE workload's service account token and a proxymux (TLS, its own port) that exchanges it for RPSTs. */
  issueOkeWorkloadIdentity(o?: OkeWorkloadIdentityOptions): Promise<IssuedOkeWorkloadIdentity>;
  /** The API keys this emulator accepts (`revoke(fingerprint)` makes a key's requests fail with 401). */
  apiKeys: ApiKeyRegistry;
  close(): Promise<void>;
}

const ROUTES: readonly Route[] = [
  ...bucketRoutes,
  ...objectStorageRoutes,
  ...retentionRoutes,
  ...tierRoutes,
  ...workRequestRoutes,
  ...kmsRoutes,
  ...kmsLifecycleRoutes,
  ...secretsRoutes,
  ...functionsRoutes,
  ...eventsRoutes,
];

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  // Fail on a bad seed before spending time on keys and a port.
  if (options.seed) SeedSchema.parse(options.seed);
  const issuer = await TokenIssuer.create();
  const faults = new FaultInjector({ seed: options.faultSeed });
  if (options.latencyMs !== undefined) faults.setBaseLatency(options.latencyMs);
  const requests: RequestRecord[] = [];
  const stats = new RequestStats();

  // The state needs the server's URL (vault and function endpoints), so the handler is attached after listen.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  const state = new EmulatorState({
    baseUrl: url,
    namespace: options.namespace ?? options.seed?.namespace,
    tenancyId: options.tenancyId ?? options.seed?.tenancyId,
  });
  const apiKeys = new ApiKeyRegistry(issuer, () => state.tenancyId);
  const notifications = new NotificationsStore(url, state.defaultCompartmentId);
  const metrics = new MetricsStore();
  const routes = [...ROUTES, ...onsRoutes(notifications), ...monitoringRoutes(metrics)];
  server.on("request", createRequestHandler({ state, issuer, faults, requests, routes, stats, apiKeys }));

  let seedIds = emptySeedIds();
  try {
    if (options.seed) seedIds = loadSeed(state, options.seed);
  } catch (error) {
    server.close();
    throw error;
  }

  return {
    url,
    endpoints: { objectStorage: url, kmsVault: url, secrets: url, functions: url, events: url, notifications: url, monitoring: url },
    state,
    faults,
    requests,
    stats,
    functions: state.functions,
    notifications,
    metrics,
    seedIds,
    issueResourcePrincipal: (o) => issuer.issue(o, state.tenancyId),
    issueApiKey: (o) => apiKeys.issue(o),
    issueSessionToken: (o = {}) => issuer.issueSessionToken(o, state.tenancyId),
    issueOkeWorkloadIdentity: (o) => startOkeProxymux(issuer, state.tenancyId, o),
    apiKeys,
    close: async () => {
      state.workRequests.stop();
      state.keyLifecycle.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of SDK clients would hold close() open.
        server.closeAllConnections();
      });
      await issuer.cleanup();
    },
  };
}
