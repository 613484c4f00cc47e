import { openJobStore } from "../jobs/open-job-store.js";
import { INVENTORY_PASS, readInventory } from "../lifecycle/inventory.js";
import type { KeyManagement, VaultInfo } from "../oci/key-management.js";
import { failureOf, said } from "./checklist.js";
import { compartmentBuckets } from "./compartment-buckets.js";
import type { DiagnoseContext } from "./diagnose-context.js";

/** The sweep runs every 10 minutes by default (Terraform sweep_interval_minutes): an inventory older than two periods means sweeps stopped. */
export const INVENTORY_STALE_MS = 2 * 10 * 60_000;
/** Key Management throttles management reads at 10 per second per tenancy: diagnose looks at few keys. */
const MAX_KEYS = 20;

const unusable = (state: string): boolean => state !== "ENABLED" && state !== "ENABLING" && state !== "UPDATING" && state !== "CREATING";

/**
 * Contract §12 as a deployment meets it: hazards now present (a bucket or rule on a key that is
 * disabled or pending deletion), buckets whose key changed with no key-change job yet, and an
 * inventory older than two sweep periods.
 */
export async function checkLifecycle(ctx: DiagnoseContext, located: ReadonlyMap<string, { found: boolean; key?: { lifecycleState: string }; vault?: VaultInfo }>): Promise<void> {
  const { rt, dl, log, list } = ctx;
  const found = await compartmentBuckets(ctx);
  const buckets = found?.buckets ?? [];

  // Keys in use: the rules' (located already) and the buckets' own.
  const states = new Map<string, string>();
  for (const [keyId, l] of located) if (l.found && l.key) states.set(keyId, l.key.lifecycleState);
  const bucketKeys = [...new Set(buckets.map((b) => b.kmsKeyId).filter((k): k is string => k !== undefined && !states.has(k)))].slice(0, MAX_KEYS);
  if (bucketKeys.length > 0) await readKeyStates(rt.keyManagement(ctx.budget), bucketKeys, ctx.compartments, states, dl.stopAt);
  let hazards = 0;
  for (const b of buckets) {
    const state = b.kmsKeyId === undefined ? undefined : states.get(b.kmsKeyId);
    if (state === undefined || !unusable(state)) continue;
    hazards++;
    list.problem(
      `hazard.bucket.${b.name}`,
      `bucket ${b.name} uses key ${b.kmsKeyId} which is ${state}: its objects are unreadable once the key is disabled or deleted, and new objects cannot be written`,
      `assign the bucket another key (oci os bucket update --kms-key-id …): this function then re-encrypts its objects under it; ${state === "PENDING_DELETION" ? "cancel the deletion (oci kms management key cancel-deletion) until that job has finished" : "enable the key until that job has finished"}`,
    );
  }
  rt.config.rules.forEach((r, i) => {
    const state = states.get(r.kmsKeyId);
    if (state === undefined || !unusable(state)) return;
    hazards++;
    list.problem(
      `hazard.rule.${i}`,
      `rule ${i} of REENCRYPT_RULES ({"bucket":"${r.bucket}","prefix":"${r.prefix}"}) names key ${r.kmsKeyId} which is ${state}`,
      "point the rule at another key and re-encrypt its scope with a request naming that key, before the key is gone",
    );
  });
  if (hazards === 0 && states.size > 0) list.ok("hazards", `no bucket or rule uses a key that is disabled or pending deletion (${states.size} key${states.size === 1 ? "" : "s"} checked)`);

  const jobs = await openJobStore(rt, dl, log).catch(() => undefined);
  if (!jobs) {
    list.skipped("inventory", "no state bucket: no bucket inventory, so bucket key changes are not followed");
    return;
  }
  // Buckets whose key differs from the inventory: the next sweep (or an updatebucket event) starts their job.
  let drifted = 0;
  for (const b of buckets) {
    if (Date.now() > dl.stopAt) break;
    try {
      const got = await readInventory(jobs, b.namespace, b.name);
      if (!got || got.entry.kmsKeyId === (b.kmsKeyId ?? null)) continue;
      drifted++;
      list.warning(
        `key-change.${b.name}`,
        `bucket ${b.name} moved from ${got.entry.kmsKeyId ?? "an Oracle-managed key"} to ${b.kmsKeyId ?? "an Oracle-managed key"} and no key-change job has started yet: its existing objects are still wrapped by the old key`,
        'the next sweep starts it (or send {"sweep": true} now); the bucket-updated event rule starts it at once',
      );
    } catch (error) {
      list.warning(`inventory.${b.name}`, `the inventory entry of bucket ${b.name} could not be read (${said(failureOf(error))})`);
    }
  }
  if (drifted === 0 && buckets.length > 0) list.ok("key-changes", `every bucket read is on the key the inventory has (or was first seen since)`);
  try {
    const pass = await jobs.readText(INVENTORY_PASS);
    const at = pass ? Date.parse((JSON.parse(pass.text) as { at?: string }).at ?? "") : Number.NaN;
    if (!pass || !Number.isFinite(at)) {
      // A new deployment before its first sweep: not a fault yet; a stale pass below is.
      list.couldNotConfirm("inventory", "no sweep has recorded the buckets' keys yet (a new deployment: the first scheduled sweep does): key changes are followed from then on", 'send {"sweep": true} to record them now');
    } else if (Date.now() - at > INVENTORY_STALE_MS) {
      list.warning("inventory", `the bucket inventory was last refreshed ${new Date(at).toISOString()}, more than two sweep periods ago: sweeps are not running`, "check the sweep schedule (Terraform enable_sweep) and its run history");
    } else {
      list.ok("inventory", `the bucket inventory was refreshed ${new Date(at).toISOString()}`);
    }
  } catch (error) {
    list.warning("inventory", `the inventory's last pass could not be read (${said(failureOf(error))})`);
  }
}

/** Each key's lifecycle state, looked for in the compartments' vaults. */
async function readKeyStates(kms: KeyManagement, keyIds: string[], compartments: string[], out: Map<string, string>, stopAt: number): Promise<void> {
  let vaults: VaultInfo[] = [];
  for (const c of compartments) vaults.push(...(await kms.listVaults(c).catch(() => [])));
  vaults = vaults.filter((v) => v.lifecycleState === "ACTIVE");
  for (const keyId of keyIds) {
    for (const v of vaults) {
      if (Date.now() > stopAt) return;
      const k = await kms.getKey(v.managementEndpoint, keyId).catch(() => undefined);
      if (k) {
        out.set(keyId, k.lifecycleState);
        break;
      }
    }
  }
}
