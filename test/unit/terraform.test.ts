// The Terraform module (terraform/) must match the product: the event rules subscribe to exactly
// the event types the handler acts on, the function's config map sets only contract keys (and can
// set every one), every variable is typed, described and validated where a value can be wrong,
// and the IAM policies stay least-privilege. The .tf files are parsed with HashiCorp's HCL parser
// (WASM); no provider, registry or network is needed. With a `terraform` binary on the PATH, the
// policy statements and the function config are also evaluated for several configurations
// (`terraform console` on a copy of the module's variables and locals, resources left out).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getExpressionAst, parse } from "@cdktn/hcl2json";
import { beforeAll, describe, expect, it } from "vitest";
import { CALLER_HEADER } from "../../src/access/caller-jobs.js";
import { ALL_CONFIG_KEYS } from "../../src/contract/config-keys.js";
import { BUCKET_EVENTS, HANDLED_EVENT_TYPES, KEY_RETIREMENT_EVENT_TYPES, KEY_ROTATION_EVENTS, OBJECT_EVENTS } from "../../src/contract/event-types.js";
import { METRIC_NAMES } from "../../src/ops/metrics.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const moduleDir = join(root, "terraform");
const EXAMPLES = ["rotation-only", "http-only", "both"] as const;
const exampleDirs = EXAMPLES.map((e) => join(moduleDir, "examples", e));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
type Block = Obj;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** The single body of a nested block (hcl2json writes every block as an array of bodies). */
function block(body: Json | undefined, name: string): Block {
  if (!isObj(body)) throw new Error(`not a block body while looking for "${name}"`);
  const v = body[name];
  if (!Array.isArray(v) || v.length !== 1 || !isObj(v[0])) throw new Error(`expected exactly one "${name}" block`);
  return v[0];
}

/** Every body of a nested block (zero or more). */
function blocks(body: Json | undefined, name: string): Block[] {
  if (!isObj(body)) return [];
  const v = body[name];
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** `"${local.x}"` -> "x"; anything else -> undefined. */
const localRef = (v: Json | undefined): string | undefined =>
  typeof v === "string" ? /^\$\{local\.([A-Za-z0-9_-]+)\}$/.exec(v)?.[1] : undefined;

interface ParsedModule {
  files: Map<string, Obj>;
  variables: Map<string, Block>;
  locals: Map<string, Json>;
  outputs: Map<string, Block>;
  resources: Map<string, Map<string, Block>>;
}

function tfFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".tf"))
    .map((f) => join(dir, f));
}

async function parseModule(dir: string): Promise<ParsedModule> {
  const mod: ParsedModule = {
    files: new Map(),
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    resources: new Map(),
  };
  for (const file of tfFiles(dir)) {
    const parsed = (await parse(file, readFileSync(file, "utf8"))) as Obj;
    mod.files.set(relative(dir, file), parsed);
    for (const [kind, target] of [
      ["variable", mod.variables],
      ["output", mod.outputs],
    ] as const) {
      const section = parsed[kind];
      if (!isObj(section)) continue;
      for (const [name, bodies] of Object.entries(section)) {
        if (target.has(name)) throw new Error(`${kind} ${name} declared twice`);
        target.set(name, block({ [name]: bodies }, name));
      }
    }
    for (const localsBlock of blocks(parsed, "locals")) {
      for (const [name, value] of Object.entries(localsBlock)) {
        if (mod.locals.has(name)) throw new Error(`local ${name} declared twice`);
        mod.locals.set(name, value);
      }
    }
    const resource = parsed["resource"];
    if (isObj(resource)) {
      for (const [type, instances] of Object.entries(resource)) {
        const byName = mod.resources.get(type) ?? new Map<string, Block>();
        if (isObj(instances)) {
          for (const [name, bodies] of Object.entries(instances)) byName.set(name, block({ [name]: bodies }, name));
        }
        mod.resources.set(type, byName);
      }
    }
  }
  return mod;
}

function resourcesOf(mod: ParsedModule, type: string): Map<string, Block> {
  return mod.resources.get(type) ?? new Map<string, Block>();
}

function only(mod: ParsedModule, type: string): Block {
  const all = [...resourcesOf(mod, type).values()];
  if (all.length !== 1 || !all[0]) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

// ---------------------------------------------------------------------------------------------
// Policy statements are built with for-expressions and locals, so they are read from the HCL
// expression syntax tree: every string template is rendered with its interpolations shown as
// ${...}, following the locals the policies refer to.
// ---------------------------------------------------------------------------------------------

interface AstNode {
  type: string;
  meta?: { value?: unknown; fullAccessor?: string };
  children?: AstNode[];
}

async function expressionAst(source: string): Promise<AstNode | null> {
  // hcl2json writes a non-literal expression as "${<expression>}"; parse the expression itself
  // (a quoted template cannot span lines). Other strings are templates in source form (nested
  // quotes inside ${...} unescaped), so they are parsed as a heredoc, which needs no escaping.
  const wrapped = /^\$\{([\s\S]*)\}$/.exec(source);
  if (wrapped?.[1] !== undefined) {
    try {
      return (await getExpressionAst("policy.tf", wrapped[1])) as AstNode | null;
    } catch {
      // "${a} and ${b}" is a template, not one expression: fall through.
    }
  }
  return (await getExpressionAst("policy.tf", `<<EOT\n${source}\nEOT\n`)) as AstNode | null;
}

function renderTemplate(node: AstNode): string {
  return (node.children ?? [])
    .map((c) => {
      if (c.type === "literalValue") return String(c.meta?.value ?? "");
      if (c.type === "scopeTraversal") return `\${${c.meta?.fullAccessor ?? String(c.meta?.value ?? "")}}`;
      return "${…}";
    })
    .join("")
    .replace(/\n$/, ""); // the heredoc's closing newline
}

function walk(node: AstNode, templates: string[], localsSeen: Set<string>): void {
  if (node.type === "template") templates.push(renderTemplate(node));
  if (node.type === "scopeTraversal") {
    const name = /^local\.([A-Za-z0-9_-]+)/.exec(node.meta?.fullAccessor ?? String(node.meta?.value ?? ""))?.[1];
    if (name) localsSeen.add(name);
  }
  for (const c of node.children ?? []) walk(c, templates, localsSeen);
}

async function templatesOf(value: Json | undefined, templates: string[], localsSeen: Set<string>): Promise<void> {
  if (typeof value === "string") {
    const ast = await expressionAst(value);
    if (ast) walk(ast, templates, localsSeen);
  } else if (Array.isArray(value)) {
    for (const v of value) await templatesOf(v, templates, localsSeen);
  } else if (isObj(value)) {
    for (const v of Object.values(value)) await templatesOf(v, templates, localsSeen);
  }
}

/** Every string template reachable from the policies' `statements`, through the locals they use. */
async function policyTemplates(mod: ParsedModule): Promise<string[]> {
  const templates: string[] = [];
  const pending = new Set<string>();
  for (const policy of resourcesOf(mod, "oci_identity_policy").values()) {
    await templatesOf(policy["statements"], templates, pending);
  }
  const done = new Set<string>();
  while (pending.size > 0) {
    const [name] = pending;
    if (name === undefined) break;
    pending.delete(name);
    if (done.has(name)) continue;
    done.add(name);
    const found = new Set<string>();
    await templatesOf(mod.locals.get(name), templates, found);
    for (const f of found) if (!done.has(f)) pending.add(f);
  }
  return templates;
}

const POLICY_SHAPED = /\bto\s+(inspect|read|use|manage)\s/i;
const OBJECT_RIGHTS = /\bto\s+(inspect|read|use|manage)\s+(objects|buckets|object-family)\b/i;

// ---------------------------------------------------------------------------------------------

function terraformOnPath(): boolean {
  const r = spawnSync("terraform", ["version"], { encoding: "utf8", env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" } });
  return r.error === undefined && r.status === 0;
}
const hasTerraform = terraformOnPath();

let mod: ParsedModule;
const examples = new Map<string, ParsedModule>();
let statements: string[];

beforeAll(async () => {
  mod = await parseModule(moduleDir);
  for (const [i, name] of EXAMPLES.entries()) examples.set(name, await parseModule(exampleDirs[i] ?? ""));
  statements = (await policyTemplates(mod)).filter((t) => POLICY_SHAPED.test(t) || /^\s*allow\b/i.test(t));
});

describe("terraform module layout", () => {
  it("has the standard files, named by concern", () => {
    for (const f of [
      "versions.tf",
      "variables.tf",
      "outputs.tf",
      "locals.tf",
      "function.tf",
      "iam.tf",
      "events.tf",
      "api-gateway.tf",
      "state-bucket.tf",
      "sweep.tf",
      "logging.tf",
      "operations.tf",
      "README.md",
      ...EXAMPLES.flatMap((e) =>
        ["main.tf", "variables.tf", "outputs.tf", "terraform.tfvars.example", "README.md"].map((f) => `examples/${e}/${f}`),
      ),
    ]) {
      expect(existsSync(join(moduleDir, f)), f).toBe(true);
    }
  });

  it("pins oracle/oci to a range that includes 8.28 and starts at 8.22 (condition_details, actions.action)", () => {
    const terraform = block(mod.files.get("versions.tf"), "terraform");
    const providers = block(terraform, "required_providers");
    const oci = providers["oci"];
    if (!isObj(oci)) throw new Error("required_providers.oci missing");
    expect(oci["source"]).toBe("oracle/oci");
    const constraint = String(oci["version"]);
    const parts = constraint.split(",").map((p) => p.trim());
    const cmp = (a: number[], b: number[]): number => {
      for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
      return 0;
    };
    const satisfies = (version: string): boolean =>
      parts.every((p) => {
        const m = /^(>=|<=|>|<|=|~>)?\s*([0-9.]+)$/.exec(p);
        if (!m || m[2] === undefined) throw new Error(`unreadable constraint part "${p}"`);
        const d = cmp(version.split(".").map(Number), m[2].split(".").map(Number));
        switch (m[1]) {
          case ">=":
            return d >= 0;
          case ">":
            return d > 0;
          case "<=":
            return d <= 0;
          case "<":
            return d < 0;
          default:
            return d === 0;
        }
      });
    expect(satisfies("8.28.0"), constraint).toBe(true);
    expect(satisfies("8.21.0"), `${constraint} must refuse providers without condition_details`).toBe(false);
  });
});

describe("event rules match the handler (src/contract/event-types.ts)", () => {
  it("the event type locals equal the contract's constants", () => {
    expect(mod.locals.get("object_event_types")).toEqual([...OBJECT_EVENTS]);
    expect(mod.locals.get("key_rotation_event_types")).toEqual([...KEY_ROTATION_EVENTS]);
    expect(mod.locals.get("bucket_event_types")).toEqual([...BUCKET_EVENTS]);
    expect(mod.locals.get("key_retirement_event_types")).toEqual([...KEY_RETIREMENT_EVENT_TYPES]);
  });

  it("the rules subscribe to exactly HANDLED_EVENT_TYPES, through those locals", () => {
    const rules = [...resourcesOf(mod, "oci_events_rule").values()];
    expect(rules.length).toBeGreaterThanOrEqual(2);
    const subscribed = new Set<string>();
    for (const rule of rules) {
      expect(rule["condition"], "use condition_details (provider >= 8.22), not condition").toBeUndefined();
      const local = localRef(block(rule, "condition_details")["event_types"]);
      expect(["object_event_types", "key_rotation_event_types", "bucket_event_types", "key_retirement_event_types"]).toContain(local);
      const types = mod.locals.get(local ?? "");
      if (!Array.isArray(types)) throw new Error(`local.${local} is not a literal list`);
      for (const t of types) subscribed.add(String(t));
    }
    expect([...subscribed].sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
  });

  it("every rule invokes this function (FAAS) with the non-deprecated actions { action {} } form", () => {
    for (const [name, rule] of resourcesOf(mod, "oci_events_rule")) {
      const actions = block(rule, "actions");
      expect(actions["actions"], `${name}: actions.actions is deprecated`).toBeUndefined();
      const action = block(actions, "action");
      expect(action["action_type"], name).toBe("FAAS");
      expect(action["is_enabled"], name).toBe(true);
      expect(action["function_id"], name).toBe("${oci_functions_function.this.id}");
    }
  });

  it("createobject is filtered on the rules' buckets; rotation on the keys in use, optionally", () => {
    const object = resourcesOf(mod, "oci_events_rule").get("object_created");
    const rotation = resourcesOf(mod, "oci_events_rule").get("key_rotated");
    if (!object || !rotation) throw new Error("object_created and key_rotated rules expected");
    expect(String(object["for_each"])).toContain("length(var.rules) > 0");
    expect(String(block(object, "condition_details")["data"])).toMatch(/additionalDetails\s*=\s*\{\s*bucketName\s*=\s*local\.rule_bucket_globs/);
    const data = String(block(rotation, "condition_details")["data"]);
    expect(data).toContain("var.rotation_rule_filter_by_key");
    expect(data).toMatch(/resourceId\s*=\s*local\.key_ids/);
    expect(mod.variables.get("rotation_rule_filter_by_key")?.["default"]).toBe(true);
  });
});

describe("function configuration matches the contract (src/contract/config-keys.ts)", () => {
  const endpointKeys = (): string[] => ALL_CONFIG_KEYS.filter((k) => k.endsWith("_ENDPOINT"));

  it("the function's config is local.function_config, built from local.contract_config and endpoint_overrides", () => {
    const fn = only(mod, "oci_functions_function");
    expect(localRef(fn["config"])).toBe("function_config");
    const built = String(mod.locals.get("function_config"));
    expect(built).toContain("local.contract_config");
    expect(built).toContain("var.endpoint_overrides");
  });

  it("every key the module sets is a contract key, and every non-endpoint key is settable", () => {
    const config = mod.locals.get("contract_config");
    if (!isObj(config)) throw new Error("local.contract_config must be a map with literal keys");
    const keys = Object.keys(config);
    for (const k of keys) expect(ALL_CONFIG_KEYS, k).toContain(k);
    const nonEndpoint = ALL_CONFIG_KEYS.filter((k) => !k.endsWith("_ENDPOINT"));
    expect([...keys].sort()).toEqual([...nonEndpoint].sort());
  });

  it("endpoint keys are settable only through endpoint_overrides, validated against the contract's names", () => {
    const v = mod.variables.get("endpoint_overrides");
    if (!v) throw new Error("variable endpoint_overrides missing");
    const named = new Set(
      blocks(v, "validation").flatMap((val) => String(val["condition"]).match(/REENCRYPT_[A-Z_]+_ENDPOINT/g) ?? []),
    );
    expect([...named].sort()).toEqual(endpointKeys().sort());
  });

  it("no REENCRYPT_* name anywhere in the module is outside the contract", () => {
    for (const file of [...tfFiles(moduleDir), ...exampleDirs.flatMap(tfFiles)]) {
      const names = readFileSync(file, "utf8").match(/REENCRYPT_[A-Z0-9_]+/g) ?? [];
      for (const n of names) expect(ALL_CONFIG_KEYS, `${relative(root, file)}: ${n}`).toContain(n);
    }
  });
});

describe("variables", () => {
  it("every variable has a description and a type", () => {
    expect(mod.variables.size).toBeGreaterThan(10);
    for (const [name, v] of [...mod.variables, ...[...examples.values()].flatMap((e) => [...e.variables])]) {
      expect(typeof v["description"] === "string" && v["description"].trim().length > 10, `${name}: description`).toBe(true);
      expect(typeof v["type"] === "string" && v["type"].length > 0, `${name}: type`).toBe(true);
    }
  });

  it("every OCID variable has a validation on its OCID prefix with a readable message", () => {
    const ocidVars = [...mod.variables.keys()].filter((n) => /(_id|_ids|_ocid)$/.test(n));
    expect(ocidVars.length).toBeGreaterThan(5);
    for (const name of [...ocidVars, "rules"]) {
      const validations = blocks(mod.variables.get(name), "validation");
      const ocid = validations.filter((val) => /ocid1\\\\\.[a-z|()]+\\\\\./.test(String(val["condition"])));
      expect(ocid.length, `${name}: needs a validation with regex "^ocid1\\\\.<type>\\\\."`).toBeGreaterThan(0);
    }
  });

  it("values that can be wrong are validated, each validation with a readable error message", () => {
    for (const name of [
      "region",
      "name_prefix",
      "image",
      "memory_in_mbs",
      "timeout_in_seconds",
      "detached_mode_timeout_in_seconds",
      "rules",
      "allowed_buckets",
      "state_bucket_name",
      "create_state_bucket",
      "concurrency",
      "max_rps",
      "log_level",
      "endpoint_overrides",
      "iam_bucket_names",
      "create_api_gateway",
      "api_gateway_endpoint_type",
      "api_path_prefix",
      "jwt_jwks_uri",
      "log_retention_days",
      // contract v2
      "allowed_keys",
      "allow_inline_keys",
      "max_parallel",
      "rotation_method",
      "allow_bucket_method",
      "checkpoint_seconds",
      "split_versions",
      "enable_sweep",
      "sweep_schedule",
      "api_scope_reencrypt",
      "api_scope_status",
      "vault_ids",
      "authorizer_function_compartment_id",
      // contract v3 §13
      "notify_topic_id",
      "notify_topic_compartment_id",
      "notify_email",
      "metrics_namespace",
      "metrics_compartment_id",
    ]) {
      expect(blocks(mod.variables.get(name), "validation").length, name).toBeGreaterThan(0);
    }
    for (const [name, v] of mod.variables) {
      for (const val of blocks(v, "validation")) {
        const msg = String(val["error_message"]);
        expect(msg.length > 20 && /[.!]$/.test(msg), `${name}: "${msg}"`).toBe(true);
      }
    }
  });

  it("ranges follow OCI Functions' limits", () => {
    const cond = (n: string): string => blocks(mod.variables.get(n), "validation").map((v) => String(v["condition"])).join(" ");
    expect(cond("memory_in_mbs")).toContain("[128, 256, 512, 1024, 2048, 3072]");
    expect(cond("timeout_in_seconds")).toMatch(/>= 1\b[\s\S]*<= 300\b/);
    expect(cond("detached_mode_timeout_in_seconds")).toMatch(/>= 5\b[\s\S]*<= 3600\b/);
    expect(cond("concurrency")).toMatch(/>= 1\b[\s\S]*<= 256\b/);
    expect(cond("max_rps")).toMatch(/>= 0\b/);
    expect(cond("max_parallel")).toMatch(/>= 1\b[\s\S]*<= 64\b/);
    expect(cond("checkpoint_seconds")).toMatch(/>= 1\b[\s\S]*<= 600\b/);
    expect(cond("split_versions")).toMatch(/>= 100\b[\s\S]*<= 10000000\b/);
    expect(cond("rotation_method")).toContain('["objects", "bucket"]');
    expect(cond("allowed_keys")).toContain("(key|vaultsecret)");
    expect(cond("api_scope_status")).toContain("var.api_scope_status != var.api_scope_reencrypt");
  });

  it("the contract v2 variables are described, typed and default as the contract says", () => {
    const expected: Record<string, { type: string; default: Json }> = {
      allowed_keys: { type: "${list(string)}", default: null },
      allow_inline_keys: { type: "bool", default: false },
      max_parallel: { type: "number", default: 8 },
      rotation_method: { type: "string", default: "objects" },
      allow_bucket_method: { type: "bool", default: false },
      checkpoint_seconds: { type: "number", default: 30 },
      split_versions: { type: "number", default: 10000 },
      enable_sweep: { type: "bool", default: true },
      sweep_schedule: { type: "string", default: "*/10 * * * *" },
      api_scope_reencrypt: { type: "string", default: "reencrypt:write" },
      api_scope_status: { type: "string", default: "reencrypt:read" },
      detached_mode_timeout_in_seconds: { type: "number", default: 3600 },
    };
    for (const [name, want] of Object.entries(expected)) {
      const v = mod.variables.get(name);
      if (!v) throw new Error(`variable ${name} missing`);
      expect(String(v["type"]).replace(/^\$\{(.*)\}$/, "$1"), name).toBe(want.type.replace(/^\$\{(.*)\}$/, "$1"));
      expect(v["default"], name).toEqual(want.default);
      expect(String(v["description"]).length, name).toBeGreaterThan(40);
    }
  });

  it("the v2 config keys are built from their variables", () => {
    const config = mod.locals.get("contract_config");
    if (!isObj(config)) throw new Error("local.contract_config must be a map with literal keys");
    for (const [key, ref] of [
      ["REENCRYPT_ALLOWED_KEYS", "local.allowed_keys"],
      ["REENCRYPT_ALLOW_INLINE_KEYS", "var.allow_inline_keys"],
      ["REENCRYPT_MAX_PARALLEL", "var.max_parallel"],
      ["REENCRYPT_ROTATION_METHOD", "var.rotation_method"],
      ["REENCRYPT_CHECKPOINT_SECONDS", "var.checkpoint_seconds"],
      ["REENCRYPT_SPLIT_VERSIONS", "var.split_versions"],
    ] as const) {
      expect(String(config[key]), key).toContain(ref);
    }
    expect(String(mod.locals.get("allowed_keys"))).toMatch(/var\.allowed_keys == null \? local\.key_ids/);
  });

  it("create_api_gateway is refused without an authentication method", () => {
    const cond = blocks(mod.variables.get("create_api_gateway"), "validation").map((v) => String(v["condition"])).join(" ");
    expect(cond).toContain("var.authorizer_function_id");
    expect(cond).toContain("var.jwt_issuers");
    expect(cond).toContain("var.jwt_audiences");
    expect(cond).toContain("var.jwt_jwks_uri");
    expect(mod.variables.get("create_api_gateway")?.["default"]).toBe(false);
  });
});

describe("operations (contract §13): topic, subscription, alarms and their IAM", () => {
  const ALARMS = { failed_versions: `${METRIC_NAMES.versionsFailed}[5m].sum() > 0`, stalled_jobs: `${METRIC_NAMES.jobsStalled}[15m].max() > 0` };

  it("creates the topic unless one is given, and subscribes notify_email to it", () => {
    const topic = only(mod, "oci_ons_notification_topic");
    expect(String(topic["count"])).toContain("local.create_notify_topic");
    expect(String(mod.locals.get("create_notify_topic"))).toBe("${var.notify_topic_id == null && var.create_notify_topic}");
    expect(String(mod.locals.get("notify_topic_id"))).toContain("one(oci_ons_notification_topic.ops[*].id)");
    const email = only(mod, "oci_ons_subscription");
    expect(email).toMatchObject({ protocol: "EMAIL", endpoint: "${var.notify_email}", topic_id: "${local.notify_topic_id}" });
    expect(String(email["count"])).toContain("var.notify_email != null");
  });

  it("has an alarm on failed versions and one on stalled jobs, on the product's metric names, aimed at the topic", () => {
    expect(mod.locals.get("alarm_queries")).toEqual(ALARMS);
    const alarms = resourcesOf(mod, "oci_monitoring_alarm");
    expect([...alarms.keys()].sort()).toEqual(["failed_versions", "stalled_jobs"]);
    for (const [name, a] of alarms) {
      expect(a["query"], name).toBe(`\${local.alarm_queries.${name}}`);
      expect(a["destinations"], name).toEqual(["${local.notify_topic_id}"]);
      expect(a["namespace"], name).toBe("${var.metrics_namespace}");
      expect(a["metric_compartment_id"], name).toBe("${local.metrics_compartment_id}");
      expect(a["is_enabled"], name).toBe(true);
      expect(String(a["count"]), name).toContain("local.alarms_enabled");
    }
    expect(String(mod.locals.get("alarms_enabled"))).toBe("${var.create_alarms && local.metrics_enabled && local.has_notify_topic}");
    // The same MQL in the module's README and in docs/operations.md.
    const readme = readFileSync(join(moduleDir, "README.md"), "utf8");
    const ops = readFileSync(join(root, "docs", "operations.md"), "utf8");
    for (const q of Object.values(ALARMS)) {
      expect(readme).toContain(q);
      expect(ops).toContain(q);
    }
  });

  it("the function may publish to that topic only and post into that namespace only", () => {
    const ons = statements.filter((x) => /\bons-topics\b/.test(x));
    expect(ons).toEqual(["Allow ${local.dg} to use ons-topics in compartment id ${local.notify_topic_compartment_id} where target.ons-topic.id = '${local.notify_topic_id}'"]);
    const metrics = statements.filter((x) => /\bto \w+ metrics\b/.test(x));
    expect(metrics).toEqual(["Allow ${local.dg} to use metrics in compartment id ${local.metrics_compartment_id} where target.metrics.namespace = '${var.metrics_namespace}'"]);
    const policy = resourcesOf(mod, "oci_identity_policy").get("function");
    expect(String(policy?.["statements"])).toBe("${local.function_statements}");
    expect(String(mod.locals.get("function_statements"))).toContain("local.operations_statements");
    expect(String(mod.locals.get("operations_statements"))).toMatch(/local\.has_notify_topic \?[\s\S]*local\.metrics_enabled \?/);
  });
});

describe("IAM", () => {
  it("the dynamic group matches this function only", () => {
    const dg = only(mod, "oci_identity_dynamic_group");
    expect(dg["matching_rule"]).toBe("ALL {resource.type = 'fnfunc', resource.id = '${oci_functions_function.this.id}'}");
  });

  it("policy statements are found (sanity check of the extraction)", () => {
    expect(statements.length).toBeGreaterThanOrEqual(12);
  });

  it("every statement starts with Allow", () => {
    for (const s of statements) expect(s, s).toMatch(/^Allow /);
  });

  it("nothing grants all-resources; no object or bucket right in the tenancy", () => {
    for (const s of statements) {
      expect(s, s).not.toMatch(/all-resources/i);
      if (OBJECT_RIGHTS.test(s)) {
        expect(s, s).not.toMatch(/\bin\s+tenancy\b/i);
        expect(s, s).toMatch(/\bin compartment id \$\{/);
      }
    }
  });

  // The one exception: the Object Storage service carrying out the state bucket's lifecycle
  // policy (Oracle's documented grant is manage object-family), in that bucket only.
  const LIFECYCLE = "Allow service objectstorage-${var.region} to manage object-family in compartment id ${local.state_bucket_compartment_id} where target.bucket.name = '${local.state_bucket_only}'";

  it("manage is only ever granted cut down to named permissions (request.permission)", () => {
    const manage = statements.filter((x) => /\bto manage\b/i.test(x) && x !== LIFECYCLE);
    expect(manage.length).toBeGreaterThan(0);
    for (const s of manage) expect(s, s).toMatch(/ where all \{request\.permission = '[A-Z_]+'|, any \{request\.permission = |, request\.permission = 'OBJECT_DELETE'\}$/);
    expect(statements).toContain(LIFECYCLE);
  });

  it("the state bucket gets only what the function does there: no manage objects, deleting runner entries only", () => {
    const state = statements.filter((x) => x.includes("${local.state_bucket_only}") && x !== LIFECYCLE);
    expect(state).toEqual([
      "Allow ${local.dg} to manage objects in compartment id ${local.state_bucket_compartment_id} where all {target.bucket.name = '${local.state_bucket_only}', any {request.permission = 'OBJECT_INSPECT', request.permission = 'OBJECT_READ', request.permission = 'OBJECT_CREATE', request.permission = 'OBJECT_OVERWRITE'}}",
      "Allow ${local.dg} to manage objects in compartment id ${local.state_bucket_compartment_id} where all {target.bucket.name = '${local.state_bucket_only}', target.object.name = /runner-*/, request.permission = 'OBJECT_DELETE'}",
    ]);
    expect(statements.filter((x) => /OBJECT_DELETE/.test(x))).toHaveLength(1);
    expect(statements.join("\n")).not.toMatch(/BUCKET_DELETE/);
  });

  it("object and bucket rights carry the bucket condition, built from the bucket names", () => {
    for (const s of statements.filter((x) => /to (read buckets|use objects) /.test(x))) expect(s, s).toMatch(/\$\{local\.bucket_where\}$/);
    expect(String(mod.locals.get("bucket_where"))).toContain("local.iam_bucket_any");
    expect(String(mod.locals.get("iam_bucket_any"))).toContain("target.bucket.name = ${v}");
    const globs = String(mod.locals.get("iam_bucket_globs"));
    for (const v of ["var.iam_bucket_names", "var.allowed_buckets", "local.rule_bucket_globs", "var.create_api_gateway", "var.kms_key_ids"]) expect(globs).toContain(v);
  });

  it("invocation grants name this function (target.function.id), never the whole compartment", () => {
    expect(mod.locals.get("this_function")).toBe("target.function.id = '${oci_functions_function.this.id}'");
    const invoke = statements.filter((x) => /\b(fn-invocation|fn-function|functions-family)\b/.test(x));
    expect(invoke.length).toBeGreaterThanOrEqual(6);
    for (const s of invoke) expect(s, s).toMatch(/\$\{local\.this_function\}|target\.function\.id = '\$\{var\.authorizer_function_id\}'/);
    for (const s of statements.filter((x) => /^Allow (any-user|service cloudEvents) /.test(x))) expect(s, s).toMatch(/ where /);
  });

  it("the bucket method's IAM exists only when rotation_method = bucket or allow_bucket_method", () => {
    expect(String(mod.locals.get("bucket_method_enabled")).replace(/\s+/g, " ")).toBe('${var.rotation_method == "bucket" || var.allow_bucket_method}');
    const guarded = String(mod.locals.get("bucket_method_statements"));
    expect(guarded).toMatch(/^\$\{!local\.bucket_method_enabled \? \[\] : /);
    const bucketUpdate = statements.filter((x) => x.includes("BUCKET_UPDATE") || x.includes("GetWorkRequest"));
    expect(bucketUpdate.length).toBe(2);
    expect(String(mod.locals.get("function_statements"))).toContain("local.bucket_method_statements");
  });

  it("holds what the product needs, scoped to keys and secrets by id", () => {
    const has = (re: RegExp): void => {
      expect(statements.some((s) => re.test(s)), String(re)).toBe(true);
    };
    has(/^Allow \$\{local\.dg\} to read buckets in compartment id /);
    has(/^Allow \$\{local\.dg\} to use objects in compartment id /);
    has(/^Allow \$\{local\.dg\} to manage objects in compartment id .* where all \{target\.bucket\.name = /);
    has(/^Allow \$\{local\.dg\} to manage buckets in compartment id .* where all \{request\.permission = 'BUCKET_UPDATE'/);
    has(/^Allow \$\{local\.dg\} to read object-family in compartment id .* where any \{request\.operation = 'GetWorkRequest', /);
    has(/^Allow \$\{local\.dg\} to read keys in compartment id .*\$\{local\.key_condition\}$/);
    has(/^Allow \$\{local\.dg\} to read vaults in compartment id .*\$\{local\.vault_condition\}$/);
    has(/^Allow \$\{local\.dg\} to use key-delegate in compartment id .*\$\{local\.key_condition\}$/);
    has(/^Allow \$\{local\.dg\} to read secret-bundles in compartment id .*\$\{local\.secret_condition\}$/);
    has(/^Allow \$\{local\.dg\} to use fn-invocation in compartment id \$\{var\.compartment_id\} where \$\{local\.this_function\}$/);
    has(/^Allow \$\{local\.dg\} to read fn-function in compartment id \$\{var\.compartment_id\} where \$\{local\.this_function\}$/);
    has(/^Allow \$\{local\.dg\} to read cloudevents-rules in compartment id /);
    has(/^Allow \$\{local\.dg\} to read objectstorage-namespaces in tenancy$/);
    has(/^Allow service cloudEvents to use functions-family in compartment id \$\{var\.compartment_id\} where \$\{local\.this_function\}$/);
    has(/^Allow service objectstorage-\$\{var\.region\} to use keys in compartment id .*\$\{local\.key_condition\}$/);
    has(/^Allow any-user to use functions-family in compartment id .* where ALL \{request\.principal\.type = 'ApiGateway', request\.resource\.compartment\.id = '[^']+', \$\{local\.this_function\}\}$/);
    has(/^Allow any-user to use functions-family in compartment id .* where ALL \{request\.principal\.type = 'resourceschedule', request\.principal\.id = '\$\{…\}', \$\{local\.this_function\}\}$/);
    const templates = statements.join("\n");
    expect(templates).not.toMatch(/to (use|manage) keys in compartment id \$\{[^}]+\}$/m);
    const conditions = [String(mod.locals.get("key_condition")), String(mod.locals.get("secret_condition"))];
    expect(conditions[0]).toContain("target.key.id = '${k}'");
    expect(conditions[0]).toContain("local.iam_key_ids");
    expect(conditions[1]).toContain("target.secret.id = '${s}'");
    expect(conditions[1]).toContain("local.iam_secret_ids");
    expect(String(mod.locals.get("vault_condition"))).toContain("target.vault.id = '${v}'");
  });
});

describe("API Gateway", () => {
  it("the deployment authenticates every call (JWT or an authorizer function), never anonymous", () => {
    const deployment = only(mod, "oci_apigateway_deployment");
    const spec = block(deployment, "specification");
    const auth = block(block(spec, "request_policies"), "authentication");
    expect(String(auth["type"])).toContain("JWT_AUTHENTICATION");
    expect(String(auth["type"])).toContain("CUSTOM_AUTHENTICATION");
    expect(auth["is_anonymous_access_allowed"]).toBe(false);
    expect(String(auth["issuers"])).toContain("var.jwt_issuers");
    expect(String(auth["audiences"])).toContain("var.jwt_audiences");
    const jwks = blocks(auth["dynamic"], "public_keys")[0];
    expect(JSON.stringify(jwks)).toContain("REMOTE_JWKS");
  });

  it("has exactly two routes, POST /reencrypt and GET /reencrypt/jobs/{jobId}, each requiring its own scope", () => {
    const spec = block(only(mod, "oci_apigateway_deployment"), "specification");
    expect(spec["dynamic"], "routes are literal blocks").toBeUndefined();
    const routes = blocks(spec, "routes").map((route) => {
      const path = localRef(route["path"]);
      const authz = block(block(route, "request_policies"), "authorization");
      expect(block(route, "backend")["type"]).toBe("ORACLE_FUNCTIONS_BACKEND");
      expect(block(route, "backend")["function_id"]).toBe("${oci_functions_function.this.id}");
      return {
        path: path ? mod.locals.get(path) : route["path"],
        methods: route["methods"],
        type: authz["type"],
        scope: authz["allowed_scope"],
      };
    });
    expect(routes).toEqual([
      { path: "/reencrypt", methods: ["POST"], type: "ANY_OF", scope: ["${var.api_scope_reencrypt}"] },
      { path: "/reencrypt/jobs/{jobId}", methods: ["GET"], type: "ANY_OF", scope: ["${var.api_scope_status}"] },
    ]);
    expect(JSON.stringify(spec)).not.toContain("AUTHENTICATION_ONLY");
    expect(JSON.stringify(spec)).not.toContain("ANONYMOUS");
  });

  it("both routes set the caller header the function reads to the caller's subject, overwriting the client's", () => {
    expect(mod.locals.get("api_caller_header")).toBe(CALLER_HEADER);
    expect(mod.locals.get("api_caller_value")).toBe("$${request.auth[sub]}");
    const spec = block(only(mod, "oci_apigateway_deployment"), "specification");
    for (const route of blocks(spec, "routes")) {
      const set = block(block(block(route, "request_policies"), "header_transformations"), "set_headers");
      expect(blocks(set, "items")).toEqual([{ name: "${local.api_caller_header}", values: ["${local.api_caller_value}"], if_exists: "OVERWRITE" }]);
    }
  });

  it("the gateway may call the function, and an authorizer function, and nothing else", () => {
    const gw = statements.filter((x) => x.includes("'ApiGateway'"));
    expect(gw).toHaveLength(2);
    expect(gw[0]).toContain("${local.this_function}");
    expect(gw[1]).toContain("target.function.id = '${var.authorizer_function_id}'");
  });
});

describe("the state bucket", () => {
  it("is created by default, named after name_prefix, and its previous object versions expire", () => {
    expect(mod.variables.get("create_state_bucket")?.["default"]).toBe(true);
    expect(String(mod.locals.get("state_bucket_value"))).toContain('"${var.name_prefix}-state"');
    const policy = only(mod, "oci_objectstorage_object_lifecycle_policy");
    expect(String(policy["count"])).toContain("var.create_state_bucket");
    expect(blocks(policy, "rules")).toEqual([
      { name: "delete-previous-versions", action: "DELETE", is_enabled: true, target: "previous-object-versions", time_amount: "${tostring(var.state_previous_versions_days)}", time_unit: "DAYS" },
    ]);
  });
});

describe("the sweep (OCI Resource Scheduler)", () => {
  it("invokes this function with the body {\"sweep\": true} every 10 minutes by default", () => {
    const schedule = only(mod, "oci_resource_scheduler_schedule");
    expect(String(schedule["count"])).toContain("local.sweep_enabled");
    expect(schedule["action"]).toBe("START_RESOURCE");
    expect(localRef(schedule["recurrence_type"])).toBe("sweep_recurrence_type");
    expect(schedule["recurrence_details"]).toBe("${var.sweep_schedule}");
    const resource = block(schedule, "resources");
    expect(resource["id"]).toBe("${oci_functions_function.this.id}");
    const parameters = block(resource, "parameters");
    expect(parameters["parameter_type"]).toBe("BODY");
    expect(parameters["value"]).toEqual(["${local.sweep_body}"]);
    expect(String(mod.locals.get("sweep_body")).replace(/\s+/g, " ")).toBe("${jsonencode({ sweep = true })}");
    expect(mod.variables.get("sweep_schedule")?.["default"]).toBe("*/10 * * * *");
    expect(String(mod.locals.get("sweep_recurrence_type"))).toMatch(/startswith\(var\.sweep_schedule, "FREQ="\) \? "ICAL" : "CRON"/);
  });

  it("runs only with a state bucket, and only when enabled", () => {
    expect(String(mod.locals.get("sweep_enabled"))).toBe("${var.enable_sweep && local.state_bucket_value != null}");
    expect(mod.variables.get("enable_sweep")?.["default"]).toBe(true);
  });

  it("the detached-mode timeout is set on the function and validated 5..3600", () => {
    const fn = only(mod, "oci_functions_function");
    expect(fn["detached_mode_timeout_in_seconds"]).toBe("${var.detached_mode_timeout_in_seconds}");
  });
});

describe("README.md", () => {
  it("documents every input and every output in its tables, and no longer existing ones", () => {
    const readme = readFileSync(join(moduleDir, "README.md"), "utf8");
    const section = (title: string): string => {
      const start = readme.indexOf(`## ${title}\n`);
      if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
      const end = readme.indexOf("\n## ", start + 1);
      return readme.slice(start, end < 0 ? undefined : end);
    };
    const names = (text: string): string[] => [...text.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1] ?? "");
    expect(names(section("Inputs")).sort()).toEqual([...mod.variables.keys()].sort());
    expect(names(section("Outputs")).sort()).toEqual([...mod.outputs.keys()].sort());
    for (const e of EXAMPLES) expect(readme).toContain(`examples/${e}`);
    expect(readme).toContain("## UNCONFIRMED");
  });

  it("fails the plan when the gateway has no bucket list or no compartment of its own", () => {
    const conditions = blocks(mod.variables.get("create_api_gateway"), "validation").map((v) => String(v["condition"]));
    expect(conditions).toContain("${!var.create_api_gateway || length(var.allowed_buckets) > 0}");
    expect(conditions.some((c) => c.includes("var.api_gateway_compartment_id != var.compartment_id"))).toBe(true);
    expect(mod.files.get("api-gateway.tf")?.["check"]).toBeUndefined();
  });
});

describe("outputs", () => {
  it("exposes what a caller needs, each described", () => {
    for (const name of [
      "function_id",
      "function_invoke_endpoint",
      "api_gateway_url",
      "dynamic_group_name",
      "policy_names",
      "event_rule_ids",
      "state_bucket_name",
      "api_status_url",
      "sweep_schedule_id",
    ]) {
      expect(mod.outputs.has(name), name).toBe(true);
    }
    for (const [name, o] of mod.outputs) expect(typeof o["description"], name).toBe("string");
  });
});

describe.each(EXAMPLES)("examples/%s", (name) => {
  const dir = join(moduleDir, "examples", name);
  const example = (): ParsedModule => {
    const e = examples.get(name);
    if (!e) throw new Error(`example ${name} not parsed`);
    return e;
  };
  const moduleCall = (): Block => {
    const call = example().files.get("main.tf")?.["module"];
    if (!isObj(call)) throw new Error(`examples/${name}/main.tf has no module block`);
    const [body] = Object.values(call).map((bodies) => block({ m: bodies }, "m"));
    if (!body) throw new Error("empty module block");
    return body;
  };

  it("calls the module with source ../.. and only arguments that are variables of the module", () => {
    const body = moduleCall();
    expect(body["source"]).toBe("../..");
    const args = Object.keys(body).filter((k) => !["source", "version", "providers", "depends_on"].includes(k));
    expect(args.length).toBeGreaterThan(5);
    for (const arg of args) expect(mod.variables.has(arg), `module argument ${arg}`).toBe(true);
    for (const [v, def] of mod.variables) {
      if (!("default" in def)) expect(args, `required module variable ${v}`).toContain(v);
    }
  });

  it("terraform.tfvars.example sets only variables the example declares, and every required one", async () => {
    const file = join(dir, "terraform.tfvars.example");
    const values = (await parse("terraform.tfvars", readFileSync(file, "utf8"))) as Obj;
    const set = Object.keys(values);
    expect(set.length).toBeGreaterThan(3);
    for (const k of set) expect(example().variables.has(k), `terraform.tfvars.example sets undeclared "${k}"`).toBe(true);
    for (const [v, def] of example().variables) {
      if (!("default" in def)) expect(set, `required variable ${v} missing from the example`).toContain(v);
    }
  });

  it("every variable the example declares is used by its main.tf", () => {
    const main = readFileSync(join(dir, "main.tf"), "utf8");
    for (const v of example().variables.keys()) expect(main, v).toMatch(new RegExp(`\\bvar\\.${v}\\b`));
  });

  it("fits its use", () => {
    const body = moduleCall();
    const gateway = body["create_api_gateway"] === true;
    const events = "rules" in body || "kms_key_ids" in body;
    expect({ gateway, events }).toEqual(
      name === "rotation-only" ? { gateway: false, events: true } : name === "http-only" ? { gateway: true, events: false } : { gateway: true, events: true },
    );
    expect(body["create_state_bucket"], "every example has durable jobs").toBe(true);
  });
});

describe("formatting", () => {
  it.runIf(hasTerraform)(
    hasTerraform ? "terraform fmt -check -recursive terraform" : "terraform fmt -check (not run: no `terraform` binary on PATH)",
    () => {
      const r = spawnSync("terraform", ["fmt", "-check", "-recursive", "-diff", "terraform"], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" },
      });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    },
  );

});
