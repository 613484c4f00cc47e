import type { FunctionsInvokeClient, requests } from "oci-functions";
import { clientConfiguration, type ClientParams } from "./clients.js";
import { withRetry } from "./retry.js";

/** Starts another invocation of this very function, detached: it runs after we return. */
export interface SelfInvoker {
  invokeDetached(body: string): Promise<void>;
}

/** requests.InvokeFunctionRequest's enums, without loading oci-functions to read them. */
const CLOUD_EVENT = "cloudevent" as requests.InvokeFunctionRequest.FnIntent.Cloudevent;
const DETACHED = "detached" as requests.InvokeFunctionRequest.FnInvokeType.Detached;

/** oci-functions is loaded on the first self-invocation. */
export function createSelfInvoker(
  params: ClientParams,
  functionId: string,
  functionsEndpoint: string | undefined,
  notAfter: () => number | undefined,
): SelfInvoker {
  let invokeClient: Promise<FunctionsInvokeClient> | undefined;
  const client = (): Promise<FunctionsInvokeClient> =>
    (invokeClient ??= (async () => {
      // The invoke endpoint never changes for a function: GetFunction once per container.
      const { FunctionsInvokeClient, FunctionsManagementClient } = await import("oci-functions");
      let endpoint = functionsEndpoint;
      if (!endpoint) {
        const mgmt = new FunctionsManagementClient(params, clientConfiguration());
        const fn = await withRetry("GetFunction", () => mgmt.getFunction({ functionId }), { notAfter: notAfter() });
        endpoint = fn.function.invokeEndpoint;
      }
      const c = new FunctionsInvokeClient(params, clientConfiguration());
      if (!endpoint) throw new Error("GetFunction returned no invokeEndpoint");
      c.endpoint = endpoint;
      return c;
    })().catch((e: unknown) => {
      invokeClient = undefined;
      throw e;
    }));
  return {
    async invokeDetached(body) {
      const c = await client();
      await withRetry(
        "InvokeFunction",
        () =>
          c.invokeFunction({
            functionId,
            invokeFunctionBody: body,
            fnIntent: CLOUD_EVENT,
            fnInvokeType: DETACHED,
          }),
        { notAfter: notAfter() },
      );
    },
  };
}
