import { OBJECT_CREATED_EVENT } from "../contract/event-types.js";
import { matchesBucketGlob } from "../glob.js";
import { collectPages } from "../oci/paging.js";
import { namespaceOf } from "../runtime/namespace.js";
import { failureOf, said, type DiagnoseReport } from "./checklist.js";
import type { RuleView } from "./check-event-rules.js";
import type { DiagnoseContext } from "./diagnose-context.js";

/** Buckets that should emit createobject events (named by the rules' conditions, or covered by REENCRYPT_RULES) do. */
export async function checkObjectEventBuckets({ rt, dl, store, list, compartments }: DiagnoseContext, rules: RuleView[]): Promise<DiagnoseReport["buckets"]> {
  const buckets: DiagnoseReport["buckets"] = [];
  const names = new Set(rules.filter((r) => r.eventTypes.includes(OBJECT_CREATED_EVENT)).flatMap((r) => r.buckets.filter((b) => !b.includes("*"))));
  let namespace: string | undefined;
  try {
    namespace = await namespaceOf(rt, dl.hardStopAt);
  } catch (error) {
    list.problem("namespace", `GetNamespace failed (${said(failureOf(error))})`, "grant read objectstorage-namespaces in tenancy (the Terraform module does)");
  }
  if (namespace !== undefined && rt.config.rules.length > 0) {
    for (const c of compartments) {
      try {
        for (const b of await collectPages((page) => store.listBuckets(namespace as string, c, page))) {
          if (rt.config.rules.some((rule) => matchesBucketGlob(rule.bucket, namespace as string, b))) names.add(b);
        }
      } catch (error) {
        const f = failureOf(error);
        list.problem(
          `buckets.${c}`,
          `could not list the buckets of compartment ${c} (${said(f)}): rotation jobs and rule globs cannot find buckets there`,
          `grant "Allow dynamic-group <dg> to inspect buckets in compartment id ${c}" (the Terraform module does for target_compartment_ids)`,
        );
      }
    }
  }
  for (const name of namespace === undefined ? [] : [...names].sort()) {
    try {
      const b = await store.getBucket(namespace as string, name);
      buckets.push({ bucket: name, objectEventsEnabled: b.objectEventsEnabled });
      const line = `bucket ${name} does not emit object events: oci os bucket update --name ${name} --object-events-enabled true`;
      if (!b.objectEventsEnabled) list.problem(`bucket.${name}`, `bucket ${name} does not emit object events`, `oci os bucket update --name ${name} --object-events-enabled true`, line);
      else list.ok(`bucket.${name}`, `bucket ${name} emits object events`);
    } catch (error) {
      const msg = error instanceof Error ? error.message : String(error);
      buckets.push({ bucket: name, objectEventsEnabled: null, error: msg });
      list.problem(`bucket.${name}`, `bucket ${name} could not be read: ${msg}`, "check the name and that the function may read buckets there (read buckets)", `bucket ${name} could not be read: ${msg}`);
    }
  }

  return buckets;
}
