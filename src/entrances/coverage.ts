import { z } from "zod";
import { lazySchema } from "../contract/lazy-schema.js";
import { KeyOcidSchema } from "../contract/ocid.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import { ErrorCode, ReencryptError } from "../errors.js";
import { locateKey } from "../jobs/from-key-rotation.js";
import { openJobStore } from "../jobs/open-job-store.js";
import { answerCoverage, type CoverageAnswer } from "../lifecycle/coverage.js";
import type { Logger } from "../log.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";

export const CoverageRequestSchema = lazySchema(() => z.strictObject({ coverage: z.strictObject({ keyId: KeyOcidSchema, vaultId: z.string().startsWith("ocid1.vault.").max(255).optional() }) }));

/** `{"coverage": {"keyId"}}` (direct invocations): "may I delete key version V?", from the function's own records (contract §12). */
export async function handleCoverage(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<{ coverage: CoverageAnswer }> {
  const parsed = CoverageRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "coverage query");
  const { keyId, vaultId } = parsed.data.coverage;
  const jobs = await openJobStore(rt, dl, log);
  if (!jobs) throw new ReencryptError(ErrorCode.NotFound, 404, "this function has no state bucket (REENCRYPT_STATE_BUCKET): it keeps no record of what its jobs covered");
  const kms = rt.keyManagement({ notAfter: () => dl.hardStopAt, limiter: createRateLimiter(undefined) });
  const compartments = rt.config.compartmentIds ?? (rt.compartmentId ? [rt.compartmentId] : []);
  const found = await locateKey(kms, keyId, vaultId, compartments);
  if (!found) throw new ReencryptError(ErrorCode.NotFound, 404, `key ${keyId} was not found in the vaults of ${compartments.join(", ") || "no compartment"}: give coverage.vaultId`);
  const versions = await kms.listKeyVersions(found.vault.managementEndpoint, keyId);
  return { coverage: await answerCoverage(found.key, versions, rt.config.rules, jobs) };
}
