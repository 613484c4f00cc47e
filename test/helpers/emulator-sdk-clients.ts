// Real OCI SDK clients wired to the local emulator the way the product wires them: resource
// principal auth from OCI_RESOURCE_PRINCIPAL_* env vars, endpoint overrides, retries and the
// circuit breaker off so a test sees exactly one request per call.

import { Readable } from "node:stream";
import * as common from "oci-common";
import { EventsClient } from "oci-events";
import { FunctionsInvokeClient, FunctionsManagementClient } from "oci-functions";
import { KmsManagementClient, KmsVaultClient } from "oci-keymanagement";
import { ObjectStorageClient } from "oci-objectstorage";
import { SecretsClient } from "oci-secrets";
import type { Emulator, IssuedResourcePrincipal, ResourcePrincipalOptions } from "../../src/local/emulator/index.js";

export interface EmulatorSdkClients {
  provider: common.ResourcePrincipalAuthenticationDetailsProvider;
  principal: IssuedResourcePrincipal;
  objectStorage: ObjectStorageClient;
  kmsVault: KmsVaultClient;
  secrets: SecretsClient;
  functions: FunctionsManagementClient;
  invoke: FunctionsInvokeClient;
  events: EventsClient;
  /** A KmsManagementClient for one vault's management endpoint (as GetVault reports it). */
  kmsManagement(managementEndpoint: string): KmsManagementClient;
}

/** Builds the provider with `env` in process.env, then puts process.env back as it was. */
export function providerFromEnv(env: Record<string, string>): common.ResourcePrincipalAuthenticationDetailsProvider {
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return common.ResourcePrincipalAuthenticationDetailsProvider.builder();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export async function emulatorSdkClients(
  emulator: Emulator,
  principal: Partial<ResourcePrincipalOptions> = {},
): Promise<EmulatorSdkClients> {
  common.CircuitBreaker.EnableGlobalCircuitBreaker = false;
  const issued = await emulator.issueResourcePrincipal({
    compartmentId: principal.compartmentId ?? emulator.state.defaultCompartmentId,
    ...principal,
  });
  const provider = providerFromEnv(issued.env);
  const params = { authenticationDetailsProvider: provider };
  const config: common.ClientConfiguration = { retryConfiguration: common.NoRetryConfigurationDetails };

  const objectStorage = new ObjectStorageClient(params, config);
  objectStorage.endpoint = emulator.endpoints.objectStorage;
  const kmsVault = new KmsVaultClient(params, config);
  kmsVault.endpoint = emulator.endpoints.kmsVault;
  const secrets = new SecretsClient(params, config);
  secrets.endpoint = emulator.endpoints.secrets;
  const functions = new FunctionsManagementClient(params, config);
  functions.endpoint = emulator.endpoints.functions;
  const invoke = new FunctionsInvokeClient(params, config);
  invoke.endpoint = emulator.endpoints.functions;
  const events = new EventsClient(params, config);
  events.endpoint = emulator.endpoints.events;

  return {
    provider,
    principal: issued,
    objectStorage,
    kmsVault,
    secrets,
    functions,
    invoke,
    events,
    kmsManagement: (managementEndpoint) => {
      const client = new KmsManagementClient(params, config);
      client.endpoint = managementEndpoint;
      return client;
    },
  };
}

/** The OciError fields a test asserts on, from whatever the SDK threw. */
export async function ociFailure(p: Promise<unknown>): Promise<{ statusCode: number; serviceCode: string; message: string }> {
  try {
    await p;
  } catch (error) {
    const e = error as { statusCode?: number; serviceCode?: string; message?: string };
    return { statusCode: e.statusCode ?? -1, serviceCode: e.serviceCode ?? "", message: e.message ?? String(error) };
  }
  throw new Error("expected the SDK call to fail");
}

/**
 * The text of a streamed response body (GetObject, InvokeFunction). With Node's global fetch the SDK
 * hands back a web ReadableStream, which `common.getStringFromResponseBody` cannot read.
 */
export async function bodyText(value: unknown): Promise<string> {
  if (value instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of value) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString("utf8");
  }
  return new Response(value as ReadableStream).text();
}
