import * as common from "oci-common";
import { ObjectStorageClient } from "oci-objectstorage";
import type { Emulator } from "../emulator/index.js";

/**
 * The baseline: what a one-off script would do with the SDK alone (its default HTTP client and
 * signer). One client, ListObjects (or ListObjectVersions) page by page, then ReencryptObject one
 * object version at a time, each awaited before the next. Query values (page tokens, version ids
 * with `+ / =`) are encoded by hand: the SDK sends them raw.
 */
export interface NaiveLoop {
  /** Re-encrypts the bucket's objects (every version with `versions`), at most `limit` of them; returns how many. */
  run(bucket: string, o?: { versions?: boolean; limit?: number }): Promise<number>;
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

  const listLatest = async (ns: string, bucket: string, limit: number): Promise<{ objectName: string; versionId?: string }[]> => {
    const out: { objectName: string }[] = [];
    let start: string | undefined;
    do {
      const page = await client.listObjects({ namespaceName: ns, bucketName: bucket, limit: 1000, ...(start ? { start: encodeURIComponent(start) } : {}) });
      out.push(...page.listObjects.objects.map((o) => ({ objectName: o.name })));
      start = page.listObjects.nextStartWith ?? undefined;
    } while (start && out.length < limit);
    return out.slice(0, limit);
  };
  const listVersions = async (ns: string, bucket: string, limit: number): Promise<{ objectName: string; versionId?: string }[]> => {
    const out: { objectName: string; versionId: string }[] = [];
    let page: string | undefined;
    do {
      const r = await client.listObjectVersions({ namespaceName: ns, bucketName: bucket, limit: 1000, ...(page ? { page: encodeURIComponent(page) } : {}) });
      for (const v of r.objectVersionCollection.items) if (v.isDeleteMarker !== true) out.push({ objectName: v.name, versionId: encodeURIComponent(v.versionId) });
      page = r.opcNextPage ?? undefined;
    } while (page && out.length < limit);
    return out.slice(0, limit);
  };

  return {
    async run(bucket, o = {}) {
      namespace ??= (await client.getNamespace({})).value;
      const limit = o.limit ?? Number.POSITIVE_INFINITY;
      const targets = o.versions ? await listVersions(namespace, bucket, limit) : await listLatest(namespace, bucket, limit);
      for (const t of targets) {
        await client.reencryptObject({ namespaceName: namespace, bucketName: bucket, reencryptObjectDetails: {}, ...t });
      }
      return targets.length;
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
