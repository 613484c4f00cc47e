import { BUCKET_UPDATED_EVENT, KEY_RETIREMENT_EVENTS, KEY_ROTATION_EVENTS, OBJECT_CREATED_EVENT, OBJECT_EVENTS } from "../contract/event-types.js";
import type { Checklist } from "./checklist.js";
import type { RuleInfo } from "../oci/event-rules.js";
import { failureOf, said, type DiagnoseReport } from "./checklist.js";
import { keyRole, type KeyUse, type Located } from "./check-keys.js";
import type { DiagnoseContext } from "./diagnose-context.js";
import { conditionMatches, parseCondition } from "./event-condition.js";

export type RuleView = DiagnoseReport["rules"][number];

/** The event rules aimed at this function are enabled, and send every event type it acts on. */
export async function checkEventRules({ rt, budget, list, compartments }: DiagnoseContext, keys: KeyUse[], located: Map<string, Located>): Promise<RuleView[]> {
  const fnId = rt.functionId;
  // Event rules live in the compartments scanned and in those of the keys' vaults (Terraform puts
  // the key rotation rule there).
  const ruleCompartments = [...new Set([...compartments, ...[...located.values()].flatMap((l) => (l.found ? [l.key.compartmentId, l.vault.compartmentId] : []))])];
  const mine: { rule: RuleInfo; actionEnabled: boolean }[] = [];
  const events = rt.eventRules(budget);
  for (const c of ruleCompartments) {
    let found: RuleInfo[];
    try {
      found = await events.listRules(c);
    } catch (error) {
      const f = failureOf(error);
      list.problem(
        `event-rules.${c}`,
        `could not list the event rules of compartment ${c} (${said(f)})`,
        `grant "Allow dynamic-group <dg> to read cloudevents-rules in compartment id ${c}" (the Terraform module does)`,
      );
      continue;
    }
    for (const rule of found) {
      const actions = rule.actions.filter((a) => a.actionType === "FAAS" && a.functionId === fnId);
      if (actions.length > 0) mine.push({ rule, actionEnabled: actions.some((a) => a.isEnabled) });
    }
  }
  const rules = mine.map(({ rule, actionEnabled }) => ({
    id: rule.id,
    displayName: rule.displayName,
    compartmentId: rule.compartmentId,
    isEnabled: rule.isEnabled,
    actionEnabled,
    ...parseCondition(rule.condition),
  }));
  for (const r of rules) {
    if (!r.isEnabled) {
      list.problem(`event-rule.${r.id}`, `event rule "${r.displayName}" (${r.id}) targets this function but is disabled`, "enable it (terraform apply sets is_enabled = true)", `event rule "${r.displayName}" (${r.id}) targets this function but is disabled`);
    } else if (!r.actionEnabled) {
      list.problem(`event-rule.${r.id}`, `event rule "${r.displayName}" (${r.id}) has its action to this function disabled`, "enable the FAAS action", `event rule "${r.displayName}" (${r.id}) has its action to this function disabled`);
    } else {
      list.ok(`event-rule.${r.id}`, `event rule "${r.displayName}" is enabled and sends ${r.eventTypes.length > 0 ? r.eventTypes.join(", ") : "every event"} to this function`);
    }
  }
  const live = rules.filter((r) => r.isEnabled && r.actionEnabled);
  const unlocated = keys.filter((k) => located.get(k.keyId)?.found !== true);
  checkLifecycleEvents(list, live, rt.config.stateBucket !== undefined, keys.length > 0);
  for (const type of [...OBJECT_EVENTS, ...KEY_ROTATION_EVENTS]) {
    const line = `no enabled event rule sends ${type} to this function`;
    if (type === OBJECT_CREATED_EVENT && rt.config.rules.length === 0) {
      list.skipped(`event-type.${type}`, "no REENCRYPT_RULES: object-created events have nothing to do");
      continue;
    }
    if (live.some((r) => r.eventTypes.length === 0 || r.eventTypes.includes(type))) {
      list.ok(`event-type.${type}`, `an enabled event rule sends ${type} to this function`);
    } else if (type === OBJECT_CREATED_EVENT) {
      list.problem(`event-type.${type}`, line, "create the rule (the Terraform module does when rules are set)", line);
    } else if (keys.length === 0) {
      list.warning(
        `event-type.${type}`,
        `${line}: rotating a bucket's key will not re-encrypt its objects (fine when this function only serves requests)`,
        "list the buckets' keys in kms_key_ids to have the Terraform module create the rotation rule",
      );
    } else if (unlocated.length > 0) {
      list.couldNotConfirm(
        `event-type.${type}`,
        `${line} among the rules of compartments ${ruleCompartments.join(", ")}; a rule in the compartment of the vault of ${unlocated.map((k) => k.keyId).join(", ")} was not looked at (that vault was not found)`,
      );
    } else {
      list.problem(`event-type.${type}`, line, "create the rule in the keys' vault compartment (the Terraform module does for the rules' keys and kms_key_ids)", line);
    }
  }

  // Each key in use: a live rotation rule whose condition admits it.
  for (const k of keys) {
    const admits = live.some(
      (r) =>
        (r.eventTypes.length === 0 || KEY_ROTATION_EVENTS.some((t) => r.eventTypes.includes(t))) &&
        (r.resourceIds.length === 0 || r.resourceIds.some((p) => conditionMatches(p, k.keyId))),
    );
    if (admits) {
      list.ok(`rotation-events.${k.keyId}`, `rotating key ${k.keyId} reaches this function`);
      continue;
    }
    const detail = `rotating key ${k.keyId} (${keyRole(k)}) sends no event to this function: no enabled rule for createkeyversion.end / autokeyrotate.end admits it (data.resourceId)`;
    const fix = "add the key to the rotation rule's condition (Terraform: the rules' keys and kms_key_ids are added; apply again), or set rotation_rule_filter_by_key = false";
    if (located.get(k.keyId)?.found !== true) {
      list.couldNotConfirm(`rotation-events.${k.keyId}`, `${detail} among the rules of compartments ${ruleCompartments.join(", ")}; its vault's compartment is unknown`);
    } else if (k.byRule) {
      list.problem(`rotation-events.${k.keyId}`, `${detail}: objects the rules put under it stay on the old key version`, fix);
    } else {
      list.warning(`rotation-events.${k.keyId}`, `${detail}: buckets whose own key it is are not re-encrypted when it rotates`, fix);
    }
  }

  return rules;
}

/**
 * Contract §12's events: without the bucket-updated rule a key change is followed only at the next
 * sweep; without the key retirement rule nobody is warned before a key in use stops working. Both
 * work without them, later or not at all: warnings, not problems.
 */
function checkLifecycleEvents(list: Checklist, live: readonly RuleView[], stateBucket: boolean, keysInUse: boolean): void {
  const sends = (type: string): boolean => live.some((r) => r.eventTypes.length === 0 || r.eventTypes.includes(type));
  if (!stateBucket) {
    list.skipped(`event-type.${BUCKET_UPDATED_EVENT}`, "no state bucket: there is no bucket inventory to follow key changes with");
  } else if (sends(BUCKET_UPDATED_EVENT)) {
    list.ok(`event-type.${BUCKET_UPDATED_EVENT}`, `an enabled event rule sends ${BUCKET_UPDATED_EVENT} to this function: a bucket's key change is followed at once`);
  } else {
    list.warning(
      `event-type.${BUCKET_UPDATED_EVENT}`,
      `no enabled event rule sends ${BUCKET_UPDATED_EVENT} to this function: a bucket whose key changes is followed only at the next sweep`,
      "create the bucket-updated rule in the target compartments (the Terraform module does when a state bucket is set)",
    );
  }
  const kinds = new Map<string, string[]>();
  for (const [type, kind] of Object.entries(KEY_RETIREMENT_EVENTS)) kinds.set(kind, [...(kinds.get(kind) ?? []), type]);
  for (const [kind, types] of kinds) {
    const id = `event-type.key-retirement.${kind}`;
    if (types.some(sends)) list.ok(id, `an enabled event rule sends ${types.filter(sends).join(", ")} to this function`);
    else if (!keysInUse) list.skipped(id, "no Vault key in use by rules or allowed keys to watch");
    else list.warning(id, `no enabled event rule sends ${types.join(" or ")} to this function: nobody is warned when a key in use is ${kind === "disable" ? "disabled" : "scheduled for deletion"}`, "create the key-retirement rule in the keys' vault compartments (the Terraform module does for the keys in use)");
  }
}
