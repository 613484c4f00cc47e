import * as common from "oci-common";
import { ObjectStorageClient } from "oci-objectstorage";
import type { Emulator } from "../emulator/index.js";

/**
 * The baseline: what a one-off script would do with the SDK alone. One client, ListObjects page
 * by page, then ReencryptObject one object at a time, each awaited before the next.
 */
export interface NaiveLoop {
  run(bucket: string): Promise<number>;
  close(): Promise<void>;
}

export async function naiveLoop(emulator: Emulator, compartmentId: string): Promise<NaiveLoop> {
  const rp = await emulator.issueResourcePrincipal({ compartmentId, mode: "files", ttlSeconds: 3600 });
  // The SDK's resource principal provider reads only process.env, as it would inside OCI Functions.
  const saved = new Map(Object.keys(rp.env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, rp.env);
  const provider = common.ResourcePrincipalAuthenticationDetailsProvider.builder();
  const client = new ObjectStorageClient({ authenticationDetailsProvider: provider });
  client.endpoint = emulator.endpoints.objectStorage;
  let namespace: string | undefined;
  return {
    async run(bucket) {
      namespace ??= (await client.getNamespace({})).value;
      const names: string[] = [];
      let start: string | undefined;
      do {
        const page = await client.listObjects({ namespaceName: namespace, bucketName: bucket, limit: 1000, ...(start ? { start } : {}) });
        names.push(...page.listObjects.objects.map((o) => o.name));
        start = page.listObjects.nextStartWith ?? undefined;
      } while (start);
      for (const objectName of names) {
        await client.reencryptObject({ namespaceName: namespace, bucketName: bucket, objectName, reencryptObjectDetails: {} });
      }
      return names.length;
    },
    async close() {
      client.close();
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}
