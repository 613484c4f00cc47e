import { randomUUID } from "node:crypto";
import type { ReencryptRequest } from "../contract/request.js";
import { inlineKey, type InlineKeys } from "../keys/resolve-keys.js";
import type { SseCKey } from "../oci/object-store.js";
import { dedupeUnits } from "../model/dedupe-units.js";
import type { JobKey, JobSourceKey, JobSpec, Unit } from "../model/job.js";

// Moved to the model (the access checks run it again on every resume); kept importable from here.
export { dedupeUnits };

export const newJobId = (): string => randomUUID();

/** A validated request becomes a job; inline keys stay outside it, known by their keySha256. */
export function jobFromRequest(req: ReencryptRequest, defaultNamespace: string): { spec: JobSpec; inline: InlineKeys } {
  const inline = new Map<string, SseCKey>();
  let key: JobKey;
  if (req.key.type === "sse-c") {
    const k = inlineKey(req.key);
    if (k) {
      inline.set(k.keySha256, k);
      key = { type: "sse-c", keySha256: k.keySha256 };
    } else {
      key = { type: "sse-c", secretId: req.key.secretId as string };
    }
  } else {
    key = req.key;
  }
  let sourceKey: JobSourceKey | undefined;
  if (req.sourceKey) {
    const k = inlineKey(req.sourceKey);
    if (k) {
      inline.set(k.keySha256, k);
      sourceKey = { keySha256: k.keySha256 };
    } else {
      sourceKey = { secretId: req.sourceKey.secretId as string };
    }
  }
  const units: Unit[] = req.targets.map((t) => ({
    namespace: t.namespace ?? defaultNamespace,
    bucket: t.bucket,
    scope:
      t.kind === "object"
        ? { kind: "object", object: t.object, ...(t.versionId !== undefined ? { versionId: t.versionId } : {}) }
        : { kind: "prefix", prefix: t.prefix, allVersions: req.method === "bucket" ? true : (t.allVersions ?? req.allVersions) },
    key,
    ...(req.method === "bucket" ? { method: "bucket" as const } : {}),
  }));
  const spec: JobSpec = { id: newJobId(), origin: "request", units: dedupeUnits(units), ...(sourceKey ? { sourceKey } : {}), dryRun: req.dryRun };
  return { spec, inline };
}
