import { z } from "zod";
import { HANDLED_EVENT_TYPES, KEY_ROTATION_EVENTS, OBJECT_CREATED_EVENT } from "../contract/event-types.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import type { Deadlines } from "../invocation/deadline.js";
import { matchesBucketGlob } from "../glob.js";
import { statusOf, type JobRecord } from "../jobs/job-record.js";
import { openJobStore } from "../jobs/open-job-store.js";
import { sseCKeyFromSecretContent } from "../keys/sse-c-key.js";
import type { Logger } from "../log.js";
import type { RuleInfo } from "../oci/event-rules.js";
import type { KeyInfo, KeyManagement, VaultInfo } from "../oci/key-management.js";
import { OciCallError, toOciFailure, type OciFailure } from "../oci/oci-failure.js";
import type { ObjectStore } from "../oci/object-store.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import { collectPages } from "../oci/paging.js";
import type { CallBudget, Runtime } from "../invocation/runtime.js";
import { namespaceOf, stateBucketOf } from "../invocation/namespace.js";

export const DiagnoseRequestSchema = z.strictObject({ diagnose: z.literal(true) });

/**
 * ok: checked and fine. problem: broken; `fix` says what to do. warning: works, but worth knowing.
 * unconfirmed: only a real call in a real tenancy settles it (IAM evaluation); never a problem.
 * skipped: not applicable to this configuration, or no time left.
 */
export type CheckStatus = "ok" | "problem" | "warning" | "unconfirmed" | "skipped";

export interface CheckResult {
  /** Stable id, e.g. "state-bucket.write" or "key.ocid1.key…". */
  check: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do about it (problems and warnings). */
  fix?: string;
}

export interface DiagnoseReport {
  ok: boolean;
  functionId: string | null;
  compartments: string[];
  rules: { id: string; displayName: string; compartmentId: string; isEnabled: boolean; actionEnabled: boolean; eventTypes: string[]; buckets: string[]; resourceIds: string[] }[];
  buckets: { bucket: string; objectEventsEnabled: boolean | null; error?: string }[];
  problems: string[];
  /** Not broken, but worth knowing. */
  warnings: string[];
  /** Every check made, in order: the deployment checklist. */
  checklist: CheckResult[];
  /** What diagnose could not confirm from inside the function (IAM evaluation, services it cannot read). */
  unconfirmed: string[];
}

/** A stalled job older than this has outlived several sweeps (every 10 minutes by default). */
export const STALLED_TOO_LONG_MS = 30 * 60_000;
/** Job records read at most: the check is evidence, not an audit. */
const MAX_JOB_RECORDS = 200;
/** An object name that is never written: the write probe's If-Match cannot match it. */
export const WRITE_PROBE_OBJECT = "diagnose/write-probe";
const WRITE_PROBE_ETAG = '"diagnose-never-matches"';

function parseCondition(condition: string): { eventTypes: string[]; buckets: string[]; resourceIds: string[] } {
  try {
    const c = JSON.parse(condition) as { eventType?: unknown; data?: { resourceId?: unknown; additionalDetails?: { bucketName?: unknown } } };
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);
    return { eventTypes: list(c.eventType), buckets: list(c.data?.additionalDetails?.bucketName), resourceIds: list(c.data?.resourceId) };
  } catch {
    return { eventTypes: [], buckets: [], resourceIds: [] };
  }
}

/** OCI Events condition values: `*` is the only wildcard. */
function conditionMatches(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return pattern === value;
  const body = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${body}$`).test(value);
}

const failureOf = (error: unknown): OciFailure => (error instanceof OciCallError ? error.failure : toOciFailure(error));
const said = (f: OciFailure): string => `${f.status || "no response"} ${f.code}`;
const isDenied = (f: OciFailure): boolean => f.status === 401 || f.status === 403 || f.status === 404;

/** Collects the checklist and the problem and warning lines derived from it. */
class Checklist {
  readonly items: CheckResult[] = [];
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  readonly unconfirmed: string[] = [];

  ok(check: string, detail: string): void {
    this.items.push({ check, status: "ok", detail });
  }

  /** `line` is the problem as `problems` shows it, when it must read differently from detail + fix. */
  problem(check: string, detail: string, fix: string, line?: string): void {
    this.items.push({ check, status: "problem", detail, fix });
    this.problems.push(line ?? `${detail}; fix: ${fix}`);
  }

  warning(check: string, detail: string, fix?: string, line?: string): void {
    this.items.push({ check, status: "warning", detail, ...(fix ? { fix } : {}) });
    this.warnings.push(line ?? (fix ? `${detail}; ${fix}` : detail));
  }

  couldNotConfirm(check: string, detail: string, fix?: string): void {
    this.items.push({ check, status: "unconfirmed", detail, ...(fix ? { fix } : {}) });
    this.unconfirmed.push(detail);
  }

  skipped(check: string, detail: string): void {
    this.items.push({ check, status: "skipped", detail });
  }
}

interface KeyUse {
  keyId: string;
  /** Named by REENCRYPT_RULES: its rotation must reach the function. */
  byRule: boolean;
  /** Listed in REENCRYPT_ALLOWED_KEYS. */
  allowed: boolean;
}

type Located = { found: true; vault: VaultInfo; key: KeyInfo } | { found: false; reason: string };

/** Every vault of `compartments` (ACTIVE ones), asked once per invocation. */
async function vaultsOf(kms: KeyManagement, compartments: string[]): Promise<{ vaults: VaultInfo[]; errors: string[] }> {
  const vaults: VaultInfo[] = [];
  const errors: string[] = [];
  for (const c of compartments) {
    try {
      vaults.push(...(await kms.listVaults(c)).filter((v) => v.lifecycleState === "ACTIVE"));
    } catch (error) {
      errors.push(`ListVaults in ${c}: ${said(failureOf(error))}`);
    }
  }
  return { vaults, errors };
}

/** The vault holding `keyId`: the one whose endpoint names the key OCID's vault part first, then every other. */
async function locateKey(kms: KeyManagement, keyId: string, vaults: VaultInfo[], listErrors: string[], stopAt: number): Promise<Located> {
  const fragment = keyId.split(".")[4] ?? "";
  const ordered = [...vaults].sort((a, b) => Number(b.managementEndpoint.includes(fragment)) - Number(a.managementEndpoint.includes(fragment)));
  const errors = [...listErrors];
  for (const vault of ordered) {
    if (Date.now() > stopAt) return { found: false, reason: "no time left to ask every vault" };
    try {
      const key = await kms.getKey(vault.managementEndpoint, keyId);
      if (key) return { found: true, vault, key };
    } catch (error) {
      errors.push(`GetKey in vault ${vault.id}: ${said(failureOf(error))}`);
    }
  }
  const where = vaults.length === 0 ? "no vault could be listed" : `none of ${vaults.length} vault${vaults.length === 1 ? "" : "s"} holds it`;
  return { found: false, reason: errors.length > 0 ? `${where} (${errors.join("; ")})` : where };
}

const keyRole = (k: KeyUse): string => (k.byRule && k.allowed ? "REENCRYPT_RULES and REENCRYPT_ALLOWED_KEYS" : k.byRule ? "REENCRYPT_RULES" : "REENCRYPT_ALLOWED_KEYS");

/** The state bucket exists, accepts this function's writes, and its jobs are not stuck. */
async function checkStateBucket(rt: Runtime, dl: Deadlines, log: Logger, store: ObjectStore, list: Checklist): Promise<void> {
  const configured = rt.config.stateBucket;
  if (!configured) {
    list.warning(
      "state-bucket",
      "REENCRYPT_STATE_BUCKET is not set: jobs are not durable (an invocation that dies loses the rest of its job), rotations are not de-duplicated, no reports are written and no job status can be asked",
      "set state_bucket_name (and create_state_bucket = true) in the Terraform module",
      "REENCRYPT_STATE_BUCKET is not set: jobs are not durable (an invocation that dies loses the rest of its job), rotations are not de-duplicated, no reports are written and no job status can be asked",
    );
    list.skipped("sweep-schedule", "no state bucket: there is nothing for a sweep to resume");
    return;
  }
  const state = await stateBucketOf(rt, dl.hardStopAt);
  if (!state) return;
  const name = `${state.namespace}/${state.bucket}`;

  try {
    const b = await store.getBucket(state.namespace, state.bucket);
    list.ok("state-bucket.exists", `state bucket ${name} exists (versioning ${b.versioning ?? "unknown"})`);
  } catch (error) {
    const f = failureOf(error);
    if (isDenied(f)) {
      list.problem(
        "state-bucket.exists",
        `state bucket ${name} (REENCRYPT_STATE_BUCKET) does not exist, or this function may not read it (GetBucket: ${said(f)}): jobs cannot be recorded, reports are not written, status queries and sweeps fail`,
        `create it (Terraform: create_state_bucket = true) or correct REENCRYPT_STATE_BUCKET; the function needs read buckets and the object rights on it (the module grants them when state_bucket_name is set)`,
      );
    } else {
      list.warning("state-bucket.exists", `could not check state bucket ${name}: GetBucket answered ${said(f)}`, "run diagnose again");
    }
    return;
  }

  // A conditional write that cannot succeed: If-Match on an object that is never written.
  try {
    const w = await store.putObject(state.namespace, state.bucket, WRITE_PROBE_OBJECT, "", { ifMatch: WRITE_PROBE_ETAG });
    if (w === undefined) {
      list.ok(
        "state-bucket.write",
        `state bucket ${name} accepts this function's writes: a conditional PutObject that cannot match was answered 412 (its precondition was evaluated), not 403/404`,
      );
      list.unconfirmed.push(
        `state-bucket.write: that Object Storage authorises a PutObject before it evaluates If-Match is UNCONFIRMED; if it does not, the 412 for ${name} proves nothing about write access`,
      );
    } else {
      list.warning("state-bucket.write", `the write probe created ${WRITE_PROBE_OBJECT} in ${name} (an If-Match that cannot match was accepted)`, `delete ${WRITE_PROBE_OBJECT}; report this`);
    }
  } catch (error) {
    const f = failureOf(error);
    if (isDenied(f)) {
      list.problem(
        "state-bucket.write",
        `this function may not write to state bucket ${name} (a conditional PutObject was refused: ${said(f)}): job records, checkpoints, reports and rotation markers cannot be written`,
        `grant "Allow dynamic-group <dg> to manage objects in compartment id <c> where all {target.bucket.name = '${state.bucket}', any {request.permission = 'OBJECT_INSPECT', request.permission = 'OBJECT_READ', request.permission = 'OBJECT_CREATE', request.permission = 'OBJECT_OVERWRITE'}}" (the Terraform module writes it when state_bucket_name is set)`,
      );
    } else {
      list.warning("state-bucket.write", `could not check whether ${name} accepts writes: the probe was answered ${said(f)}`, "run diagnose again");
    }
  }

  await checkJobs(rt, dl, log, list, name);
}

/** Stalled job records are the evidence of a missing sweep, or of shards that could not start. */
async function checkJobs(rt: Runtime, dl: Deadlines, log: Logger, list: Checklist, name: string): Promise<void> {
  const jobs = await openJobStore(rt, dl, log);
  if (!jobs) return;
  let ids: string[];
  try {
    ids = await jobs.list();
  } catch (error) {
    const f = failureOf(error);
    list.problem(
      "state-bucket.read",
      `this function may not list state bucket ${name} (ListObjects jobs/: ${said(f)}): the sweep cannot find jobs to resume`,
      "grant OBJECT_INSPECT and OBJECT_READ on the state bucket (the Terraform module does when state_bucket_name is set)",
    );
    return;
  }
  const now = Date.now();
  const read: JobRecord[] = [];
  const damaged: string[] = [];
  const sample = ids.slice(-MAX_JOB_RECORDS);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sample.length && Date.now() < dl.stopAt) {
      const id = sample[next++] as string;
      try {
        const r = await jobs.read(id);
        if (r) read.push(r.record);
      } catch {
        damaged.push(id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, sample.length) }, worker));
  const stalled = read.filter((r) => statusOf(r, now) === "stalled");
  const running = read.filter((r) => statusOf(r, now) === "running").length;
  const of = read.length < ids.length ? `${read.length} of ${ids.length}` : `${ids.length}`;
  list.ok("state-bucket.read", `state bucket ${name} is readable: ${of} job record${ids.length === 1 ? "" : "s"} read, ${running} running, ${stalled.length} stalled`);
  for (const id of damaged) list.warning(`job.${id}`, `the record of job ${id} could not be read or is damaged`, "look at jobs/" + id + ".json in the state bucket");

  let tooLong = 0;
  for (const r of stalled) {
    const since = Date.parse(r.updatedAt);
    const minutes = Math.round((now - since) / 60_000);
    const neverStarted = r.shards.filter((s) => s.state === "pending").length;
    const dead = r.shards.filter((s) => s.state === "running").length;
    const what = `job ${r.jobId} (${r.origin}) is stalled with work left since ${r.updatedAt} (${minutes} min): ${dead} shard${dead === 1 ? "" : "s"} whose invocation died, ${neverStarted} that could not start`;
    if (now - since > STALLED_TOO_LONG_MS) {
      tooLong++;
      list.problem(
        `job.${r.jobId}`,
        `${what}; no sweep has resumed it`,
        `check the sweep schedule (Terraform enable_sweep: its Resource Scheduler schedule, and the policy letting it invoke this function)${neverStarted > 0 ? ", and that this function may invoke itself (use fn-invocation) within the region's Functions concurrency" : ""}; resume it now with {"sweep": true}`,
      );
    } else if (neverStarted > 0 && dead === 0) {
      list.warning(
        `job.${r.jobId}`,
        `${what}: InvokeFunction was refused or throttled (429) for its shards`,
        'check that this function may invoke itself (Allow dynamic-group <dg> to use fn-invocation … where target.function.id = this function) and the region\'s Functions concurrency; the next sweep, or {"sweep": true}, retries',
      );
    } else {
      list.ok(`job.${r.jobId}`, `${what}; the next sweep resumes it`);
    }
  }
  if (tooLong === 0) {
    list.couldNotConfirm(
      "sweep-schedule",
      "could not confirm that the sweep is scheduled: diagnose cannot list Resource Scheduler schedules; a job stalled for more than 30 minutes would be reported here as a problem",
      'terraform output sweep_schedule_id shows the schedule; its run history shows whether {"sweep": true} reached the function',
    );
  }
}

/** Keys and secrets the configuration names can be read, and rotating a rule's key reaches this function. */
async function locateKeys(rt: Runtime, budget: CallBudget, dl: Deadlines, compartments: string[], list: Checklist): Promise<{ keys: KeyUse[]; located: Map<string, Located> }> {
  const keys = new Map<string, KeyUse>();
  for (const r of rt.config.rules) keys.set(r.kmsKeyId, { keyId: r.kmsKeyId, byRule: true, allowed: false });
  for (const id of rt.config.allowedKeys) {
    if (!id.startsWith("ocid1.key.")) continue;
    const k = keys.get(id) ?? { keyId: id, byRule: false, allowed: false };
    k.allowed = true;
    keys.set(id, k);
  }

  // Secrets first: a request naming one reads it exactly so.
  const secrets = rt.secrets(budget);
  for (const id of rt.config.allowedKeys.filter((k) => k.startsWith("ocid1.vaultsecret."))) {
    try {
      const content = await secrets.readSecret(id);
      const key = sseCKeyFromSecretContent(content);
      content.fill(0);
      if (key) list.ok(`secret.${id}`, `secret ${id} (REENCRYPT_ALLOWED_KEYS) is readable and holds a 32-byte SSE-C key`);
      else {
        list.problem(
          `secret.${id}`,
          `secret ${id} (REENCRYPT_ALLOWED_KEYS) does not hold an SSE-C key (32 raw bytes, or their base64): requests naming it are refused`,
          "put the key in a new version of the secret, or remove the secret from allowed_keys",
        );
      }
    } catch (error) {
      const f = failureOf(error);
      if (isDenied(f)) {
        list.problem(
          `secret.${id}`,
          `secret ${id} (REENCRYPT_ALLOWED_KEYS) cannot be read (GetSecretBundle: ${said(f)}): requests naming it fail`,
          `check the OCID, and grant "Allow dynamic-group <dg> to read secret-bundles in compartment id <vault c> where target.secret.id = '${id}'" (Terraform: list it in sse_c_secret_ids or allowed_keys)`,
        );
      } else {
        list.warning(`secret.${id}`, `could not read secret ${id}: GetSecretBundle answered ${said(f)}`, "run diagnose again");
      }
    }
  }

  const located = new Map<string, Located>();
  if (keys.size === 0) return { keys: [], located };
  const kms = rt.keyManagement(budget);
  const { vaults, errors } = await vaultsOf(kms, compartments);
  for (const k of keys.values()) {
    const l = await locateKey(kms, k.keyId, vaults, errors, dl.stopAt);
    located.set(k.keyId, l);
    if (!l.found) {
      list.couldNotConfirm(
        `key.${k.keyId}`,
        `could not find key ${k.keyId} (${keyRole(k)}) in the vaults of compartments ${compartments.join(", ")}: ${l.reason}; its vault may live in another compartment, or this function may not read vaults and keys there`,
        "nothing to do if the key's vault is in another compartment; otherwise grant read vaults and read keys (the Terraform module does for vault_compartment_ids)",
      );
    } else if (l.key.lifecycleState !== "ENABLED") {
      list.problem(
        `key.${k.keyId}`,
        `key ${k.keyId} (${keyRole(k)}) is ${l.key.lifecycleState}: ReencryptObject with it fails, and its rotations are not acted on`,
        "enable the key in its vault, or remove it from the rules and allowed_keys",
      );
    } else {
      list.ok(`key.${k.keyId}`, `key ${k.keyId} (${keyRole(k)}) is ENABLED in vault ${l.vault.id} (compartment ${l.key.compartmentId}), current version ${l.key.currentKeyVersion}`);
    }
  }
  list.unconfirmed.push(
    "keys: whether this function may assign the keys it names to objects (use key-delegate) and Object Storage may use them (Allow service objectstorage-<region> to use keys) is IAM evaluation that only a real ReencryptObject settles",
  );
  return { keys: [...keys.values()], located };
}

/** Finds the misconfigurations that make events silently do nothing, and the ones a deployment finds in production. Changes nothing. */
export async function handleDiagnose(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<{ diagnose: DiagnoseReport }> {
  const parsed = DiagnoseRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "diagnose request");
  const started = Date.now();
  const budget: CallBudget = { notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) };
  const list = new Checklist();
  const store = rt.objectStore(budget);

  const compartments = rt.config.compartmentIds ?? (rt.compartmentId ? [rt.compartmentId] : []);
  const fnId = rt.functionId;
  if (!fnId) {
    list.problem(
      "function-id",
      "FN_FN_ID is not a function OCID: cannot tell which rules target this function",
      "run diagnose in OCI Functions (fn invoke, oci fn function invoke); without its own OCID the function cannot continue itself, start shards or resume jobs",
      "FN_FN_ID is not a function OCID: cannot tell which rules target this function",
    );
  } else {
    list.ok("function-id", `this function is ${fnId}`);
    list.couldNotConfirm(
      "continuation",
      "could not confirm that this function may invoke itself (InvokeFunction, detached: continuations, shards, the sweep's resumptions): diagnose has no read-only way to ask; a stalled job whose shards could not start is reported here as evidence",
      "the Terraform module grants use fn-invocation and read fn-function on this function; a refused continuation logs 'a shard's invocation could not be started'",
    );
  }
  if (compartments.length === 0) {
    list.problem("compartments", "no compartment to inspect: set REENCRYPT_COMPARTMENT_IDS", "set target_compartment_ids in the Terraform module", "no compartment to inspect: set REENCRYPT_COMPARTMENT_IDS");
  }

  const budgetSeconds = Math.round((dl.deadline - started) / 1000);
  if (budgetSeconds < 120) {
    list.warning(
      "timeout",
      `this invocation had ${budgetSeconds} s before its deadline: the function's timeout looks like ${budgetSeconds} s (OCI's default is 30), so requests stop early and answer "incomplete" more often`,
      "set timeout_in_seconds = 300 (the Terraform module's default)",
    );
  } else {
    list.ok("timeout", `this invocation had ${budgetSeconds} s before its deadline`);
  }

  await checkStateBucket(rt, dl, log, store, list);
  const { keys, located } = await locateKeys(rt, budget, dl, compartments, list);

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
  for (const type of HANDLED_EVENT_TYPES) {
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

  // Buckets that should emit createobject events: those the rules' conditions name, and those
  // REENCRYPT_RULES covers in the scanned compartments.
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

  log.info("diagnose", { problems: list.problems.length, warnings: list.warnings.length, unconfirmed: list.unconfirmed.length, rules: rules.length, buckets: buckets.length });
  return {
    diagnose: {
      ok: list.problems.length === 0,
      functionId: fnId ?? null,
      compartments,
      rules,
      buckets,
      problems: list.problems,
      warnings: list.warnings,
      checklist: list.items,
      unconfirmed: list.unconfirmed,
    },
  };
}
