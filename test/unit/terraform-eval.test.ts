// Evaluates the Terraform module's IAM statements, function config and sweep settings for several
// configurations, with the real `terraform` binary on a scratch copy of the module's variables and
// locals (terraform-scratch.ts: resources as strings, the Vault listings as variables a case can
// fill). No provider, registry or network is involved. Skipped without a terraform binary
// (terraform.test.ts checks the same things statically).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_CONFIG_KEYS } from "../../src/contract/config-keys.js";
import { scratchModule, terraformEnv, terraformOnPath } from "./terraform-scratch.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const moduleDir = join(root, "terraform");
const env = terraformEnv;
const hasTerraform = terraformOnPath();

const FN = "oci_functions_function.this.id";
const DG = "dynamic-group oci_identity_dynamic_group.function.name";
const SCHEDULE = "oci_resource_scheduler_schedule.sweep.id";
const THIS = `target.function.id = '${FN}'`;

let dir = "";
let counter = 0;

beforeAll(() => {
  if (!hasTerraform) return;
  dir = mkdtempSync(join(tmpdir(), "reencrypt-tf-eval-"));
  writeFileSync(join(dir, "main.tf"), scratchModule(moduleDir, ["variables.tf", "locals.tf", "iam.tf", "operations.tf", "vaults.tf"]));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const BASE = {
  tenancy_ocid: "ocid1.tenancy.oc1..tenancy",
  region: "us-ashburn-1",
  compartment_id: "ocid1.compartment.oc1..functions",
  subnet_ids: ["ocid1.subnet.oc1.iad.subnet"],
  image: "iad.ocir.io/ns/oci-reencrypt:0.1.0",
};
const GW_COMPARTMENT = "ocid1.compartment.oc1..gateway";
const JWT = {
  create_api_gateway: true,
  api_gateway_compartment_id: GW_COMPARTMENT,
  api_gateway_subnet_id: "ocid1.subnet.oc1.iad.gateway",
  jwt_issuers: ["https://identity.oraclecloud.com/"],
  jwt_audiences: ["https://reencrypt.example.com/"],
  jwt_jwks_uri: "https://idcs-x.identity.oraclecloud.com/admin/v1/SigningCert/jwk",
};
const K1 = "ocid1.key.oc1.iad.vault.k1";
const K2 = "ocid1.key.oc1.iad.vault.k2";

interface Evaluated {
  fn: string[];
  services: string[];
  config: Record<string, string>;
  sweep: boolean;
  recurrence: string;
  body: string;
}

function run(vars: Record<string, unknown>, expression: string): { status: number | null; stdout: string; stderr: string } {
  const file = join(dir, `case-${++counter}.tfvars.json`);
  writeFileSync(file, JSON.stringify({ ...BASE, ...vars }));
  const r = spawnSync("terraform", ["console", `-var-file=${file}`], { cwd: dir, input: `${expression}\n`, encoding: "utf8", env });
  const plain = (t: string): string => t.replace(/\u001b\[[0-9;]*m/g, "");
  return { status: r.status, stdout: plain(r.stdout), stderr: plain(r.stderr) };
}

function evaluate(vars: Record<string, unknown>): Evaluated {
  const r = run(
    vars,
    "jsonencode({ fn = local.function_statements, services = local.service_statements, config = local.function_config, sweep = local.sweep_enabled, recurrence = local.sweep_recurrence_type, body = local.sweep_body })",
  );
  if (r.status !== 0 || /Error:/.test(r.stderr)) throw new Error(`terraform console failed:\n${r.stderr}${r.stdout}`);
  // The console prints the JSON text as an HCL string literal, whose escapes are JSON's here.
  return JSON.parse(JSON.parse(r.stdout.trim()) as string) as Evaluated;
}

/** The diagnostics terraform console prints for invalid variables (it still exits 0), unwrapped. */
function refused(vars: Record<string, unknown>): string {
  const r = run(vars, "local.function_config");
  const text = `${r.stderr}${r.stdout}`.replace(/[│╷╵]/g, " ").replace(/\s+/g, " ");
  expect(text, "terraform console should refuse these variables").toContain("Error: Invalid value for variable");
  return text;
}

const all = (e: Evaluated): string[] => [...e.fn, ...e.services];

/** Checks that hold for every configuration. */
function leastPrivilege(e: Evaluated): void {
  for (const s of all(e)) {
    expect(s, s).toMatch(/^Allow /);
    expect(s, s).not.toMatch(/all-resources|BUCKET_DELETE/);
    // Deleting: runner entries of the state bucket only (the deployment-wide REENCRYPT_MAX_RPS registry).
    if (/OBJECT_DELETE/.test(s)) expect(s, s).toMatch(/target\.object\.name = \/runner-\*\/, request\.permission = 'OBJECT_DELETE'\}$/);
    // The Object Storage service carries out the state bucket's lifecycle policy, in that bucket only.
    if (/^Allow service objectstorage-[a-z0-9-]+ to manage object-family /.test(s)) expect(s, s).toMatch(/ where target\.bucket\.name = '[^']+'$/);
    else if (/\bto manage\b/.test(s)) expect(s, s).toMatch(/request\.permission = '/);
    if (/\b(fn-invocation|fn-function|functions-family)\b/.test(s)) expect(s, s).toMatch(/target\.function\.id = '/);
    if (/^Allow (any-user|service cloudEvents) /.test(s)) expect(s, s).toMatch(/ where /);
    if (/\b(objects|buckets|object-family)\b/.test(s)) expect(s, s).toMatch(/ in compartment id ocid1\./);
    // Contract §13: the topic and the metrics namespace, never the whole service.
    if (/\bons-topics\b/.test(s)) expect(s, s).toMatch(/ in compartment id ocid1\.[^ ]+ where target\.ons-topic\.id = '[^']+'$/);
    if (/\bto \w+ metrics\b/.test(s)) expect(s, s).toMatch(/^Allow [^ ]+ [^ ]+ to use metrics in compartment id ocid1\.[^ ]+ where target\.metrics\.namespace = '[A-Za-z][A-Za-z0-9_]*'$/);
  }
  for (const k of Object.keys(e.config)) expect(ALL_CONFIG_KEYS, k).toContain(k);
}

describe.runIf(hasTerraform)("terraform module, evaluated (terraform console)", () => {
  it("events with rules and a state bucket: rights narrowed to the rules' buckets, state bucket by permission, sweep on", () => {
    const e = evaluate({
      rules: [
        { bucket: "finance-*", prefix: "invoices/", kms_key_id: K1 },
        { bucket: "archive", kms_key_id: K2 },
        { bucket: "a*b*c", kms_key_id: K2 },
      ],
      state_bucket_name: "reencrypt-state",
    });
    leastPrivilege(e);
    const where = "where any {target.bucket.name = /finance-*/, target.bucket.name = 'archive', target.bucket.name = /a*/}";
    expect(e.fn).toContain(`Allow ${DG} to inspect buckets in compartment id ocid1.compartment.oc1..functions`);
    expect(e.fn).toContain(`Allow ${DG} to read buckets in compartment id ocid1.compartment.oc1..functions ${where}`);
    expect(e.fn).toContain(`Allow ${DG} to use objects in compartment id ocid1.compartment.oc1..functions ${where}`);
    expect(e.fn.filter((s) => /to manage objects/.test(s))).toEqual([
      `Allow ${DG} to manage objects in compartment id ocid1.compartment.oc1..functions where all {target.bucket.name = 'reencrypt-state', any {request.permission = 'OBJECT_INSPECT', request.permission = 'OBJECT_READ', request.permission = 'OBJECT_CREATE', request.permission = 'OBJECT_OVERWRITE'}}`,
      `Allow ${DG} to manage objects in compartment id ocid1.compartment.oc1..functions where all {target.bucket.name = 'reencrypt-state', target.object.name = /runner-*/, request.permission = 'OBJECT_DELETE'}`,
    ]);
    expect(e.fn).toContain(`Allow ${DG} to use fn-invocation in compartment id ocid1.compartment.oc1..functions where ${THIS}`);
    expect(e.fn).toContain(`Allow ${DG} to read fn-function in compartment id ocid1.compartment.oc1..functions where ${THIS}`);
    expect(all(e).join("\n")).not.toMatch(/BUCKET_UPDATE|GetWorkRequest/);
    expect(e.services).toContain(`Allow service cloudEvents to use functions-family in compartment id ocid1.compartment.oc1..functions where ${THIS}`);
    expect(e.services).toContain(
      `Allow any-user to use functions-family in compartment id ocid1.compartment.oc1..functions where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${SCHEDULE}', ${THIS}}`,
    );
    expect(e.services.join("\n")).not.toContain("ApiGateway");
    expect({ sweep: e.sweep, recurrence: e.recurrence, body: JSON.parse(e.body) as unknown }).toEqual({ sweep: true, recurrence: "CRON", body: { sweep: true } });
    expect(e.config).toMatchObject({
      REENCRYPT_ALLOWED_KEYS: `${K1},${K2}`,
      REENCRYPT_MAX_PARALLEL: "8",
      REENCRYPT_ROTATION_METHOD: "objects",
      REENCRYPT_CHECKPOINT_SECONDS: "30",
      REENCRYPT_STATE_BUCKET: "reencrypt-state",
    });
    expect(e.config).not.toHaveProperty("REENCRYPT_ALLOW_INLINE_KEYS");
  });

  it("HTTP with allowed_buckets: rights narrowed to them, the gateway's own compartment may call this function only; a state bucket and sweep by default", () => {
    const e = evaluate({ ...JWT, allowed_buckets: ["myns/finance-*", "ledger"], allowed_keys: [K1], vault_ids: ["ocid1.vault.oc1.iad.v1"] });
    leastPrivilege(e);
    expect(e.fn).toContain(
      `Allow ${DG} to use objects in compartment id ocid1.compartment.oc1..functions where any {target.bucket.name = /finance-*/, target.bucket.name = 'ledger'}`,
    );
    expect(e.services).toEqual([
      `Allow service objectstorage-us-ashburn-1 to use keys in compartment id ocid1.compartment.oc1..functions where any {target.key.id = '${K1}'}`,
      `Allow any-user to use functions-family in compartment id ocid1.compartment.oc1..functions where ALL {request.principal.type = 'ApiGateway', request.resource.compartment.id = '${GW_COMPARTMENT}', ${THIS}}`,
      `Allow service objectstorage-us-ashburn-1 to manage object-family in compartment id ocid1.compartment.oc1..functions where target.bucket.name = 'reencrypt-state'`,
      `Allow any-user to use functions-family in compartment id ocid1.compartment.oc1..functions where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${SCHEDULE}', ${THIS}}`,
    ]);
    expect(e.fn.join("\n")).not.toMatch(/cloudEvents/);
    expect(e.sweep).toBe(true);
    expect(e.config["REENCRYPT_STATE_BUCKET"]).toBe("reencrypt-state");
    expect(e.config["REENCRYPT_ALLOWED_KEYS"]).toBe(K1);
    expect(e.fn).toContain(`Allow ${DG} to use key-delegate in compartment id ocid1.compartment.oc1..functions where any {target.key.id = '${K1}'}`);
  });

  it("fails the plan for a gateway without allowed_buckets, or without a compartment of its own", () => {
    expect(refused({ ...JWT, rules: [{ bucket: "finance-*", kms_key_id: K1 }] })).toContain("needs allowed_buckets");
    const { api_gateway_compartment_id: _gw, ...noCompartment } = JWT;
    for (const vars of [noCompartment, { ...JWT, api_gateway_compartment_id: BASE.compartment_id }, { ...JWT, target_compartment_ids: [GW_COMPARTMENT] }]) {
      expect(refused({ ...vars, allowed_buckets: ["ledger"] })).toContain("needs api_gateway_compartment_id");
    }
    // ["*"] says every bucket explicitly: accepted, and the object rights then cover the target compartments.
    const star = evaluate({ ...JWT, allowed_buckets: ["*"] });
    leastPrivilege(star);
    expect(star.fn).toContain(`Allow ${DG} to use objects in compartment id ocid1.compartment.oc1..functions`);
  });

  it("creates a state bucket named after name_prefix by default, deletes only runner entries there; create_state_bucket = false opts out", () => {
    const e = evaluate({ name_prefix: "acme" });
    leastPrivilege(e);
    expect(e.config["REENCRYPT_STATE_BUCKET"]).toBe("acme-state");
    expect(e.sweep).toBe(true);
    expect(e.fn.filter((s) => s.includes("OBJECT_DELETE"))).toEqual([
      `Allow ${DG} to manage objects in compartment id ocid1.compartment.oc1..functions where all {target.bucket.name = 'acme-state', target.object.name = /runner-*/, request.permission = 'OBJECT_DELETE'}`,
    ]);
    expect(e.services).toContain(`Allow service objectstorage-us-ashburn-1 to manage object-family in compartment id ocid1.compartment.oc1..functions where target.bucket.name = 'acme-state'`);
    const none = evaluate({ create_state_bucket: false });
    leastPrivilege(none);
    expect(none.config).not.toHaveProperty("REENCRYPT_STATE_BUCKET");
    expect(none.sweep).toBe(false);
    expect(all(none).join("\n")).not.toMatch(/OBJECT_DELETE|manage objects|object-family/);
    const existing = evaluate({ create_state_bucket: false, state_bucket_name: "ns/their-state" });
    expect(existing.config["REENCRYPT_STATE_BUCKET"]).toBe("ns/their-state");
    expect(existing.services.join("\n")).not.toContain("object-family");
  });

  it("token_secret_id reaches REENCRYPT_TOKEN_SECRET_ID and a read of that secret's bundle only", () => {
    const secret = "ocid1.vaultsecret.oc1.iad.tokens";
    const e = evaluate({ create_state_bucket: false, token_secret_id: secret });
    leastPrivilege(e);
    expect(e.config["REENCRYPT_TOKEN_SECRET_ID"]).toBe(secret);
    expect(e.fn).toContain(`Allow ${DG} to read secret-bundles in compartment id ocid1.compartment.oc1..functions where any {target.secret.id = '${secret}'}`);
    expect(evaluate({}).config).not.toHaveProperty("REENCRYPT_TOKEN_SECRET_ID");
    expect(refused({ token_secret_id: "ocid1.key.oc1..k" })).toContain("token_secret_id must be");
  });

  it("derives read vaults from the keys' vaults when vault_ids is not set", () => {
    const vaults = { "ocid1.compartment.oc1..functions": { vaults: [
      { id: "ocid1.vault.oc1.iad.va", management_endpoint: "https://va-management", state: "ACTIVE" },
      { id: "ocid1.vault.oc1.iad.vb", management_endpoint: "https://vb-management", state: "ACTIVE" },
      { id: "ocid1.vault.oc1.iad.vc", management_endpoint: "https://vc-management", state: "ACTIVE" },
    ] } };
    const keys = {
      a: { keys: [{ id: K1, vault_id: "ocid1.vault.oc1.iad.va" }, { id: "ocid1.key.oc1.iad.vault.unused", vault_id: "ocid1.vault.oc1.iad.va" }] },
      b: { keys: [{ id: K2, vault_id: "ocid1.vault.oc1.iad.vb" }] },
      c: { keys: [{ id: "ocid1.key.oc1.iad.vault.other", vault_id: "ocid1.vault.oc1.iad.vc" }] },
    };
    const e = evaluate({ rules: [{ bucket: "archive", kms_key_id: K1 }], kms_key_ids: [K2], test_kms_vaults: vaults, test_kms_keys: keys });
    leastPrivilege(e);
    expect(e.fn).toContain(`Allow ${DG} to read vaults in compartment id ocid1.compartment.oc1..functions where any {target.vault.id = 'ocid1.vault.oc1.iad.va', target.vault.id = 'ocid1.vault.oc1.iad.vb'}`);
    // The listings are read only when they are needed: vault_ids set, or no key in use.
    const listed = run({ rules: [{ bucket: "archive", kms_key_id: K1 }], test_kms_vaults: vaults, test_kms_keys: keys }, "jsonencode({ derive = local.derive_vault_ids, missing = local.keys_without_vault, listings = keys(local.key_listings) })");
    expect(JSON.parse(JSON.parse(listed.stdout.trim()) as string)).toEqual({
      derive: true,
      missing: [],
      // Each active vault's keys, listed in each vault compartment (by its management endpoint).
      listings: ["va", "vb", "vc"].map((v) => `ocid1.vault.oc1.iad.${v} ocid1.compartment.oc1..functions`),
    });
    const missing = run({ kms_key_ids: ["ocid1.key.oc1.iad.vault.lost"], test_kms_vaults: vaults, test_kms_keys: keys }, "jsonencode(local.keys_without_vault)");
    expect(JSON.parse(JSON.parse(missing.stdout.trim()) as string)).toEqual(["ocid1.key.oc1.iad.vault.lost"]);
    const given = run({ kms_key_ids: [K1], vault_ids: ["ocid1.vault.oc1.iad.v1"], test_kms_vaults: vaults, test_kms_keys: keys }, "jsonencode({ derive = local.derive_vault_ids, missing = local.keys_without_vault })");
    expect(JSON.parse(JSON.parse(given.stdout.trim()) as string)).toEqual({ derive: false, missing: [] });
  });

  it("maps the caller's JWT subject into the header the function reads, as an API Gateway context variable", () => {
    const r = run({}, "jsonencode({ name = local.api_caller_header, value = local.api_caller_value })");
    expect(JSON.parse(JSON.parse(r.stdout.trim()) as string)).toEqual({ name: "X-Reencrypt-Caller", value: "${request.auth[sub]}" });
  });

  it('iam_bucket_names = ["*"] opts out of the narrowing explicitly; named ones win over allowed_buckets', () => {
    const star = evaluate({ rules: [{ bucket: "finance-*", kms_key_id: K1 }], iam_bucket_names: ["*"] });
    expect(star.fn).toContain(`Allow ${DG} to read buckets in compartment id ocid1.compartment.oc1..functions`);
    const named = evaluate({ iam_bucket_names: ["ledger", "*-logs"], allowed_buckets: ["other"] });
    expect(named.fn).toContain(
      `Allow ${DG} to read buckets in compartment id ocid1.compartment.oc1..functions where any {target.bucket.name = 'ledger', target.bucket.name = /*-logs/}`,
    );
  });

  it("the bucket method's IAM appears with rotation_method = bucket or allow_bucket_method, and not otherwise", () => {
    const off = evaluate({ kms_key_ids: [K1], iam_bucket_names: ["ledger"] });
    expect(all(off).join("\n")).not.toMatch(/BUCKET_UPDATE|GetWorkRequest/);
    for (const vars of [{ rotation_method: "bucket" }, { allow_bucket_method: true }]) {
      const on = evaluate({ kms_key_ids: [K1], iam_bucket_names: ["ledger"], ...vars });
      leastPrivilege(on);
      expect(on.fn).toContain(
        `Allow ${DG} to manage buckets in compartment id ocid1.compartment.oc1..functions where all {request.permission = 'BUCKET_UPDATE', any {target.bucket.name = 'ledger'}}`,
      );
      expect(on.fn).toContain(
        `Allow ${DG} to read object-family in compartment id ocid1.compartment.oc1..functions where any {request.operation = 'GetWorkRequest', request.operation = 'ListWorkRequestErrors'}`,
      );
    }
    expect(evaluate({ kms_key_ids: [K1], rotation_method: "bucket" }).config["REENCRYPT_ROTATION_METHOD"]).toBe("bucket");
  });

  it("allowed_keys and inline keys reach the config and the IAM; vault_ids narrow GetVault", () => {
    const secret = "ocid1.vaultsecret.oc1.iad.s1";
    const e = evaluate({
      rules: [{ bucket: "archive", kms_key_id: K1 }],
      allowed_keys: [K2, secret],
      allow_inline_keys: true,
      max_parallel: 16,
      checkpoint_seconds: 60,
      vault_ids: ["ocid1.vault.oc1.iad.v1"],
    });
    leastPrivilege(e);
    expect(e.config).toMatchObject({
      REENCRYPT_ALLOWED_KEYS: `${K2},${secret}`,
      REENCRYPT_ALLOW_INLINE_KEYS: "true",
      REENCRYPT_MAX_PARALLEL: "16",
      REENCRYPT_CHECKPOINT_SECONDS: "60",
    });
    expect(e.fn).toContain(`Allow ${DG} to read secret-bundles in compartment id ocid1.compartment.oc1..functions where any {target.secret.id = '${secret}'}`);
    expect(e.fn).toContain(
      `Allow ${DG} to use key-delegate in compartment id ocid1.compartment.oc1..functions where any {target.key.id = '${K1}', target.key.id = '${K2}'}`,
    );
    expect(e.fn).toContain(`Allow ${DG} to read vaults in compartment id ocid1.compartment.oc1..functions where any {target.vault.id = 'ocid1.vault.oc1.iad.v1'}`);
  });

  it("an authorizer function gets its own grant, for that function only", () => {
    const fnAuth = "ocid1.fnfunc.oc1.iad.authorizer";
    const e = evaluate({
      create_api_gateway: true,
      api_gateway_compartment_id: GW_COMPARTMENT,
      api_gateway_subnet_id: "ocid1.subnet.oc1.iad.gateway",
      authorizer_function_id: fnAuth,
      authorizer_function_compartment_id: "ocid1.compartment.oc1..auth",
      allowed_buckets: ["ledger"],
    });
    leastPrivilege(e);
    expect(e.services).toContain(
      `Allow any-user to use functions-family in compartment id ocid1.compartment.oc1..auth where ALL {request.principal.type = 'ApiGateway', request.resource.compartment.id = '${GW_COMPARTMENT}', target.function.id = '${fnAuth}'}`,
    );
  });

  it("the sweep follows enable_sweep and sweep_schedule (an RFC 5545 rule is sent as ICAL)", () => {
    expect(evaluate({ state_bucket_name: "s", enable_sweep: false }).sweep).toBe(false);
    const ical = evaluate({ state_bucket_name: "s", sweep_schedule: "FREQ=MINUTELY;INTERVAL=10" });
    expect({ sweep: ical.sweep, recurrence: ical.recurrence }).toEqual({ sweep: true, recurrence: "ICAL" });
    expect(ical.services.join("\n")).toContain("'resourceschedule'");
  });

  it("operations (contract §13): a created topic and the namespace narrow the publish and post rights, and reach the config", () => {
    const e = evaluate({});
    leastPrivilege(e);
    const TOPIC = "oci_ons_notification_topic.ops.id";
    expect(e.fn).toContain(`Allow ${DG} to use ons-topics in compartment id ocid1.compartment.oc1..functions where target.ons-topic.id = '${TOPIC}'`);
    expect(e.fn).toContain(`Allow ${DG} to use metrics in compartment id ocid1.compartment.oc1..functions where target.metrics.namespace = 'reencrypt'`);
    expect(e.config).toMatchObject({ REENCRYPT_NOTIFY_TOPIC: TOPIC, REENCRYPT_METRICS_NAMESPACE: "reencrypt" });
    expect(e.config).not.toHaveProperty("REENCRYPT_METRICS_COMPARTMENT_ID");
  });

  it("operations: an existing topic in its own compartment, metrics elsewhere, or both off", () => {
    const topic = "ocid1.onstopic.oc1.iad.existing";
    const given = evaluate({ notify_topic_id: topic, notify_topic_compartment_id: "ocid1.compartment.oc1..ops", metrics_namespace: "team_ops", metrics_compartment_id: "ocid1.compartment.oc1..metrics" });
    leastPrivilege(given);
    expect(given.fn.filter((s) => /ons-topics|metrics/.test(s))).toEqual([
      `Allow ${DG} to use ons-topics in compartment id ocid1.compartment.oc1..ops where target.ons-topic.id = '${topic}'`,
      `Allow ${DG} to use metrics in compartment id ocid1.compartment.oc1..metrics where target.metrics.namespace = 'team_ops'`,
    ]);
    expect(given.config).toMatchObject({ REENCRYPT_NOTIFY_TOPIC: topic, REENCRYPT_METRICS_NAMESPACE: "team_ops", REENCRYPT_METRICS_COMPARTMENT_ID: "ocid1.compartment.oc1..metrics" });
    const off = evaluate({ create_notify_topic: false, metrics_namespace: "" });
    leastPrivilege(off);
    expect(off.fn.join("\n")).not.toMatch(/ons-topics|metrics/);
    expect(off.config).not.toHaveProperty("REENCRYPT_NOTIFY_TOPIC");
    expect(off.config["REENCRYPT_METRICS_NAMESPACE"]).toBe("");
  });

  it("refuses invalid values with a readable message", () => {
    expect(refused({ notify_topic_id: "ocid1.key.oc1.iad.k" })).toContain("notify_topic_id must be");
    expect(refused({ metrics_namespace: "oci_reencrypt" })).toContain("OCI reserves");
    expect(refused({ metrics_namespace: "has-dash" })).toContain("metrics_namespace must be");
    expect(refused({ notify_email: "not-an-address" })).toContain("notify_email must be");
    expect(refused({ notify_email: "ops@example.com", create_notify_topic: false })).toContain("notify_email needs a topic");
    expect(refused({ api_scope_reencrypt: "same", api_scope_status: "same" })).toContain("must differ");
    expect(refused({ api_scope_status: "has space" })).toContain("api_scope_status must be");
    expect(refused({ max_parallel: 65 })).toContain("max_parallel must be");
    expect(refused({ max_parallel: 0 })).toContain("max_parallel must be");
    expect(refused({ max_parallel: 2.5 })).toContain("max_parallel must be");
    expect(refused({ checkpoint_seconds: 0 })).toContain("checkpoint_seconds must be");
    expect(refused({ checkpoint_seconds: 601 })).toContain("checkpoint_seconds must be");
    expect(refused({ rotation_method: "fast" })).toContain("rotation_method must be");
    expect(refused({ sweep_schedule: "every 10 minutes" })).toContain("sweep_schedule must be");
    expect(refused({ allowed_keys: ["ocid1.bucket.oc1..b"] })).toContain("allowed_keys entry must be");
    expect(refused({ detached_mode_timeout_in_seconds: 3601 })).toContain("detached_mode_timeout_in_seconds must be");
    expect(refused({ vault_ids: ["ocid1.key.oc1..k"] })).toContain("vault_ids entry must be");
    expect(refused({ iam_bucket_names: ["a*b"] })).toContain("iam_bucket_names entry must be");
  });
});
