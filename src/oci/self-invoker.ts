import { FunctionsInvokeClient, FunctionsManagementClient, requests } from "oci-functions";
import type * as common from "oci-common";
import { clientConfiguration } from "./clients.js";
import { withRetry } from "./retry.js";

/** Starts another invocation of this very function, detached: it runs after we return. */
export interface SelfInvoker {
  invokeDetached(body: string): Promise<void>;
}

export function createSelfInvoker(
  provider: common.AuthenticationDetailsProvider,
  functionId: string,
  functionsEndpoint: string | undefined,
  notAfter: () => number | undefined,
): SelfInvoker {
  let invokeClient: Promise<FunctionsInvokeClient> | undefined;
  const client = (): Promise<FunctionsInvokeClient> =>
    (invokeClient ??= (async () => {
      // The invoke endpoint never changes for a function: GetFunction once per container.
      let endpoint = functionsEndpoint;
      if (!endpoint) {
        const mgmt = new FunctionsManagementClient({ authenticationDetailsProvider: provider }, clientConfiguration());
        const fn = await withRetry("GetFunction", () => mgmt.getFunction({ functionId }), { notAfter: notAfter() });
        endpoint = fn.function.invokeEndpoint;
      }
      const c = new FunctionsInvokeClient({ authenticationDetailsProvider: provider }, clientConfiguration());
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
            fnIntent: requests.InvokeFunctionRequest.FnIntent.Cloudevent,
            fnInvokeType: requests.InvokeFunctionRequest.FnInvokeType.Detached,
          }),
        { notAfter: notAfter() },
      );
    },
  };
}
