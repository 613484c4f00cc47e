import type { KeyRule } from "../contract/rules.js";
import { matchesBucketGlob } from "../glob.js";
import { rulesInBucket } from "../keys/governing-key.js";
import type { BucketInfo } from "../oci/object-store.js";
import { compartmentBuckets } from "./compartment-buckets.js";
import type { DiagnoseContext } from "./diagnose-context.js";

const ruleText = (i: number, r: KeyRule): string => `rule ${i} ({"bucket":"${r.bucket}","prefix":"${r.prefix}"})`;

/** Rule j never applies where an earlier rule i matches the same buckets with a prefix of j's: first match wins. */
function shadowedRules(rules: readonly KeyRule[], buckets: readonly BucketInfo[]): { later: number; earlier: number; where: string[] }[] {
  const out: { later: number; earlier: number; where: string[] }[] = [];
  rules.forEach((rule, j) => {
    for (let i = 0; i < j; i++) {
      const earlier = rules[i] as KeyRule;
      if (!rule.prefix.startsWith(earlier.prefix)) continue;
      const where = buckets.filter((b) => matchesBucketGlob(rule.bucket, b.namespace, b.name) && matchesBucketGlob(earlier.bucket, b.namespace, b.name)).map((b) => b.name);
      // Same glob (or a catch-all before it): shadowed wherever the later rule could apply, listed or not.
      const everywhere = earlier.bucket === rule.bucket || earlier.bucket === "*";
      if (where.length > 0 || everywhere) {
        out.push({ later: j, earlier: i, where });
        return;
      }
    }
  });
  return out;
}

/**
 * Contract §11 as a deployment meets it: rules whose scope an earlier rule claims first (the later
 * one never applies), and read-only buckets (replication destinations) that rotations skip.
 */
export async function checkKeyScopes(ctx: DiagnoseContext): Promise<void> {
  const { rt, list } = ctx;
  const rules = rt.config.rules;
  const found = await compartmentBuckets(ctx);
  if (!found) return; // reported by the bucket checks
  for (const u of found.unlisted) list.warning(`key-scopes.${u.compartmentId}`, `could not list the buckets of compartment ${u.compartmentId} (${u.why}) to check read-only buckets and rule scopes there`);
  const buckets = found.buckets;

  for (const s of shadowedRules(rules, buckets)) {
    const later = rules[s.later] as KeyRule;
    const earlier = rules[s.earlier] as KeyRule;
    list.warning(
      `rules.shadowed.${s.later}`,
      `${ruleText(s.later, later)} never applies${s.where.length > 0 ? ` in ${s.where.slice(0, 10).join(", ")}` : ""}: ${ruleText(s.earlier, earlier)} comes first and claims its whole scope (first match wins), so its objects go under ${earlier.kmsKeyId}, not ${later.kmsKeyId}`,
      `move ${ruleText(s.later, later)} before rule ${s.earlier} in REENCRYPT_RULES (Terraform: the rules list) if its scope should win, or remove it`,
    );
  }

  // Any Vault key can rotate, and any rule scope is one: every read-only bucket with either is skipped by rotations.
  const readOnly = buckets.filter((b) => b.isReadOnly && (b.kmsKeyId !== undefined || rulesInBucket(rules, b).length > 0));
  for (const b of readOnly) {
    list.warning(
      `bucket.read-only.${b.name}`,
      `bucket ${b.name} is a replication destination (read-only): rotations skip it and requests naming it fail with BucketReadOnly; its objects change only by replication from the source bucket`,
      "nothing to do here: re-encrypting the source is what counts; check the replication policy if the replica must follow a new key",
    );
  }
  if (buckets.length > 0 && readOnly.length === 0) list.ok("buckets.read-only", `none of the ${buckets.length} buckets read is a replication destination`);
}
