import type { Emulator } from "../emulator/index.js";
import type { LocalStack } from "../local-stack.js";
import { columnOf } from "./wrapping-table.js";
import { cloudEvent } from "../cloud-event.js";

// The demo's key lifecycle walk (contract §12): a bucket moved to another key is followed by a
// key-change job, and "may I delete finance-key's old version?" is answered from the function's
// own records.

const n = (x: number): string => Math.round(x).toLocaleString("en-US");

interface CoverageVersion {
  id: string;
  current?: boolean;
  verdict?: string;
  scopes?: { bucket: string; why: string }[];
}

export async function lifecycleSection(stack: LocalStack, em: Emulator, keys: { finance: string; logs: string }, out: (line?: string) => void): Promise<boolean> {
  const state = em.state;
  out("KEY LIFECYCLE: a bucket moved to another key, and whether an old key version may be deleted (docs/keys.md)");
  // The scheduled sweep records every bucket's key in the inventory (the state bucket); the demo sends one now.
  await stack.invoke({ sweep: true });
  out("  The sweep (every 10 min in OCI) keeps an inventory of every bucket's key in the state bucket.");
  state.updateBucket("archive", { kmsKeyId: keys.logs });
  out("  An operator moves bucket archive from finance-key to logs-key (oci os bucket update --kms-key-id …); OCI Events");
  out("  sends com.oraclecloud.objectstorage.updatebucket:");
  const event = cloudEvent("com.oraclecloud.objectstorage.updatebucket", "ObjectStorage", { resourceName: "archive", additionalDetails: { bucketName: "archive", namespace: state.namespace } });
  const answer = await stack.deliverEvent(event);
  const jobId = String(answer.data?.jobId ?? "");
  const job = (await stack.invoke({ job: jobId })).data as { status?: string; origin?: string; counts?: { reencrypted?: number } } | undefined;
  const versions = state.objectVersions("archive").filter((v) => !v.isDeleteMarker);
  const tally = new Map<string, number>();
  for (const v of versions) tally.set(columnOf(state, v.wrapping), (tally.get(columnOf(state, v.wrapping)) ?? 0) + 1);
  out(`    answered HTTP ${answer.httpStatus} ${String(answer.data?.status)}: ${String(job?.origin)} job ${jobId} ${String(job?.status)}, ${n(job?.counts?.reencrypted ?? 0)} re-encrypted`);
  out(`    archive: ${[...tally].map(([k, c]) => `${n(c)} on ${k}`).join(", ")} (emulator ground truth)`);
  const followed = job?.status === "succeeded" && [...tally.keys()].every((k) => k.startsWith("logs-key"));

  // "May I delete finance-key v1?": every scope of finance-key was re-wrapped past it by the rotation.
  const cov = (await stack.invoke({ coverage: { keyId: keys.finance } })).data?.coverage as { versions?: CoverageVersion[]; scopes?: { bucket: string }[] } | undefined;
  out(`  {"coverage": {"keyId": finance-key}} (CLI: oci-reencrypt coverage --key-id …), from the function's own records:`);
  out(`    scopes of finance-key: ${(cov?.scopes ?? []).map((s) => s.bucket).join(", ") || "none"} (archive is no longer on it)`);
  for (const v of cov?.versions ?? []) {
    const label = columnOf(state, { kind: "kms", kmsKeyId: keys.finance, keyVersionId: v.id });
    if (v.current) out(`    ${label}: current`);
    else out(`    ${label}: ${String(v.verdict)}${v.verdict === "possible" ? ` (${(v.scopes ?? []).map((s) => `${s.bucket}: ${s.why}`).join("; ")})` : ": every scope was re-wrapped past it by a complete job, so this function knows of no object it still wraps"}`);
  }
  out();
  return followed && (cov?.versions ?? []).some((v) => v.verdict === "none known");
}
