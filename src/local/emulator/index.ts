// The local OCI emulator: one loopback HTTP server that speaks the REST paths of Object Storage,
// KMS (vault + per-vault management endpoints), Secrets, Functions and Events as the real OCI
// TypeScript SDK sends them, verifies every request's resource-principal signature, and keeps a
// ground-truth model of how each object version's data key is wrapped.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EmulatorState } from "./emulator-state.js";
import { eventsRoutes } from "./events-routes.js";
import { FaultInjector } from "./fault-injector.js";
import type { FunctionInvokers } from "./function-invokers.js";
import { functionsRoutes } from "./functions-routes.js";
import { kmsRoutes } from "./kms-routes.js";
import { emptySeedIds, loadSeed, SeedSchema, type Seed, type SeedIds } from "./load-seed.js";
import { objectStorageRoutes } from "./object-storage-routes.js";
import { createRequestHandler, type RequestRecord } from "./request-handler.js";
import type { Route } from "./router.js";
import { secretsRoutes } from "./secrets-routes.js";
import { TokenIssuer, type IssuedResourcePrincipal, type ResourcePrincipalOptions } from "./token-issuer.js";

export { ApiError } from "./api-error.js";
export { EmulatorState, wrappingLabel } from "./emulator-state.js";
export type { EmulatorStateOptions, PutObjectOptions, RuleActionInput, RuleInput } from "./emulator-state.js";
export { FaultInjector } from "./fault-injector.js";
export type { FaultAction, FaultHandle, FaultRequest, FaultSpec } from "./fault-injector.js";
export { FunctionInvokers } from "./function-invokers.js";
export type { DetachedOutcome, InvokeRequest, InvokeResult, Invoker } from "./function-invokers.js";
export { loadSeed, SeedSchema } from "./load-seed.js";
export type { Seed, SeedIds, SeedObject, SeedObjectBatch } from "./load-seed.js";
export type * from "./model.js";
export { randomOcid, randomVersionId } from "./random-ids.js";
export { BOTH_KEYS_MESSAGE } from "./reencrypt-object.js";
export type { RequestRecord } from "./request-handler.js";
export { sseCKeyDetails, sseCKeySha256 } from "./sse-c.js";
export type { SseCKeyDetails } from "./sse-c.js";
export type { IssuedResourcePrincipal, ResourcePrincipalOptions, RpstClaims } from "./token-issuer.js";

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
}

export interface Emulator {
  url: string;
  endpoints: EmulatorEndpoints;
  state: EmulatorState;
  faults: FaultInjector;
  /** Every request received, in arrival order. */
  requests: RequestRecord[];
  /** Same object as `state.functions`: `setInvoker(fnId, invoker)`, `idle()`. */
  functions: FunctionInvokers;
  /** The OCIDs the seed created, by seed name (empty maps without a seed). */
  seedIds: SeedIds;
  /** The OCI_RESOURCE_PRINCIPAL_* env vars of a fake function whose token this emulator accepts. */
  issueResourcePrincipal(o: ResourcePrincipalOptions): Promise<IssuedResourcePrincipal>;
  close(): Promise<void>;
}

const ROUTES: readonly Route[] = [...objectStorageRoutes, ...kmsRoutes, ...secretsRoutes, ...functionsRoutes, ...eventsRoutes];

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  // Fail on a bad seed before spending time on keys and a port.
  if (options.seed) SeedSchema.parse(options.seed);
  const issuer = await TokenIssuer.create();
  const faults = new FaultInjector();
  if (options.latencyMs !== undefined) faults.setBaseLatency(options.latencyMs);
  const requests: RequestRecord[] = [];

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
  server.on("request", createRequestHandler({ state, issuer, faults, requests, routes: ROUTES }));

  let seedIds = emptySeedIds();
  try {
    if (options.seed) seedIds = loadSeed(state, options.seed);
  } catch (error) {
    server.close();
    throw error;
  }

  return {
    url,
    endpoints: { objectStorage: url, kmsVault: url, secrets: url, functions: url, events: url },
    state,
    faults,
    requests,
    functions: state.functions,
    seedIds,
    issueResourcePrincipal: (o) => issuer.issue(o, state.tenancyId),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of SDK clients would hold close() open.
        server.closeAllConnections();
      });
      await issuer.cleanup();
    },
  };
}
