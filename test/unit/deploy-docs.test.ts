// The deploy docs (README.md, docs/*.md, terraform/README.md, every example's README, main.tf and
// terraform.tfvars.example) must say what the Terraform module and `npm run image` do: the
// variable names they use exist, object events are turned on before diagnose runs, the gateway's
// endpoint type is the one the examples set and the docs say how to reach it, image references
// have the shape the image script prints, the resource counts shown are the ones the module makes
// for that example's inputs, and every relative link lands on a file and a heading that exist.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@cdktn/hcl2json";
import { afterAll, describe, expect, it } from "vitest";
import { ALL_CONFIG_KEYS } from "../../src/contract/config-keys.js";
import { HANDLED_EVENT_TYPES } from "../../src/contract/event-types.js";
import { consoleJson, scratchModule, terraformOnPath } from "./terraform-scratch.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const moduleDir = join(root, "terraform");
const EXAMPLES = ["rotation-only", "http-only", "both"] as const;
const read = (path: string): string => readFileSync(join(root, path), "utf8");

const namesIn = (hcl: string, kind: "variable" | "output"): Set<string> => new Set([...hcl.matchAll(new RegExp(`^${kind} "([^"]+)"`, "gm"))].map((m) => m[1] as string));
const moduleVariables = namesIn(read("terraform/variables.tf"), "variable");
const moduleOutputs = namesIn(read("terraform/outputs.tf"), "output");
const exampleVariables = new Map(EXAMPLES.map((e) => [e, namesIn(read(`terraform/examples/${e}/variables.tf`), "variable")]));
const exampleOutputs = new Map(EXAMPLES.map((e) => [e, namesIn(read(`terraform/examples/${e}/outputs.tf`), "output")]));

/** Every .tf file of the module, and the resources it declares with their count / for_each expressions. */
async function moduleResources(): Promise<{ address: string; count?: string; forEach?: string }[]> {
  const out: { address: string; count?: string; forEach?: string }[] = [];
  for (const file of readdirSync(moduleDir).filter((f) => f.endsWith(".tf"))) {
    const parsed = (await parse(file, readFileSync(join(moduleDir, file), "utf8"))) as Record<string, unknown>;
    const resources = (parsed["resource"] ?? {}) as Record<string, Record<string, Record<string, unknown>[]>>;
    for (const [type, byName] of Object.entries(resources)) {
      for (const [name, [body]] of Object.entries(byName)) {
        const expr = (v: unknown): string | undefined => (v === undefined ? undefined : String(v).replace(/^\$\{([\s\S]*)\}$/, "$1"));
        const count = expr(body?.["count"]);
        const forEach = expr(body?.["for_each"]);
        out.push({ address: `${type}.${name}`, ...(count !== undefined ? { count } : {}), ...(forEach !== undefined ? { forEach } : {}) });
      }
    }
  }
  return out;
}

/** The arguments of an example's `module "reencrypt"` block, as source text (one per line, as terraform fmt writes them). */
function moduleArguments(example: string): Map<string, string> {
  const main = read(`terraform/examples/${example}/main.tf`);
  const body = /^module "reencrypt" \{\n([\s\S]*?)^\}/m.exec(main)?.[1] ?? "";
  const args = new Map<string, string>();
  for (const m of body.matchAll(/^ {2}(\w+)\s*=\s*(.+?)\s*$/gm)) if (m[1] !== "source") args.set(m[1] as string, m[2] as string);
  return args;
}

/** Fenced blocks of a markdown text: language, tags after it, body. */
function fences(md: string): { lang: string; tags: string[]; body: string }[] {
  return [...md.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => {
    const [lang = "", ...tags] = (m[1] ?? "").trim().split(/\s+/);
    return { lang, tags, body: m[2] ?? "" };
  });
}

const DOCS = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`), "terraform/README.md", ...EXAMPLES.map((e) => `terraform/examples/${e}/README.md`)];
/** The docs that speak of the Terraform module (docs/cli.md speaks of the oci CLI's own snake_case names). */
const TERRAFORM_DOCS = DOCS.filter((d) => d !== "docs/cli.md");

describe("variable names in the deploy docs and examples", () => {
  // Attributes of provider resources the docs name as such (not variables of this module).
  const PROVIDER_ATTRIBUTES = new Set(["object_events_enabled", "if_exists", "condition_details"]);
  const allVariables = new Set([...moduleVariables, ...[...exampleVariables.values()].flatMap((s) => [...s])]);

  it("every `name = value` a doc shows is a variable of the module or of an example", () => {
    for (const doc of DOCS) {
      for (const m of read(doc).matchAll(/`([a-z][a-z0-9_]*) = [^`]*`/g)) {
        const name = m[1] as string;
        if (PROVIDER_ATTRIBUTES.has(name)) continue;
        expect(allVariables, `${doc}: \`${m[0]}\``).toContain(name);
      }
    }
  });

  it("every snake_case name a Terraform doc puts in backticks is a variable, output, resource or provider attribute that exists", async () => {
    const resources = await moduleResources();
    const known = new Set([...allVariables, ...moduleOutputs, ...PROVIDER_ATTRIBUTES, ...resources.flatMap((r) => r.address.split("."))]);
    for (const doc of TERRAFORM_DOCS) {
      for (const m of read(doc).matchAll(/`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`/g)) {
        const name = m[1] as string;
        if (name === "node_modules") continue;
        expect(known, `${doc}: \`${name}\` is no variable, output or resource of the module`).toContain(name);
      }
    }
  });

  it("the module README's usage block uses the module's variables, with every required one and image_digest", async () => {
    const usage = fences(read("terraform/README.md")).find((b) => b.lang === "hcl" && /module "reencrypt"/.test(b.body));
    expect(usage).toBeDefined();
    const args = [...(usage?.body ?? "").matchAll(/^\s*#?\s*(\w+)\s*=/gm)].map((m) => m[1] as string).filter((a) => a !== "source");
    for (const a of args) expect(moduleVariables, `usage block: ${a}`).toContain(a);
    const set = new Set([...(usage?.body ?? "").matchAll(/^ {2}(\w+)\s*=/gm)].map((m) => m[1] as string));
    const parsed = (await parse("variables.tf", read("terraform/variables.tf"))) as { variable: Record<string, Record<string, unknown>[]> };
    const required = Object.entries(parsed.variable).filter(([, [body]]) => !(body && "default" in body)).map(([name]) => name);
    expect(required.length).toBeGreaterThan(3);
    for (const v of [...required, "image_digest"]) expect(set, `usage block sets ${v}`).toContain(v);
  });

  it("every hcl block of a doc assigns only module variables", () => {
    for (const doc of DOCS) {
      for (const b of fences(read(doc)).filter((f) => f.lang === "hcl")) {
        const inModule = /module "reencrypt"/.test(b.body);
        for (const m of b.body.matchAll(/^\s*#?\s*([a-z]\w*)\s*=/gm)) {
          const name = m[1] as string;
          if (inModule && name === "source") continue;
          expect(moduleVariables, `${doc}: ${name} =`).toContain(name);
        }
      }
    }
  });

  it("docs/configuration.md lists every configuration key with a Terraform variable that exists", () => {
    const doc = read("docs/configuration.md");
    for (const key of ALL_CONFIG_KEYS) expect(doc, key).toMatch(new RegExp(`\`${key.replace(/^REENCRYPT_/, "(REENCRYPT_|…_)")}\``));
    const rows = doc.split("\n").filter((l) => /^\| `(REENCRYPT|…)_/.test(l));
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const cell = row.split("|").at(-2) ?? "";
      const vars = [...cell.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string);
      expect(vars.length, row).toBeGreaterThan(0);
      for (const v of vars) expect(moduleVariables, row).toContain(v);
    }
  });
});

describe("docs/events.md", () => {
  it("names every event type the function acts on, in full, in its table", () => {
    const table = read("docs/events.md").split("\n").filter((l) => l.startsWith("| `"));
    const named = new Set(table.flatMap((l) => [...(l.split("|")[1] ?? "").matchAll(/`([a-z.]+)`/g)].map((m) => m[1] as string)));
    for (const t of HANDLED_EVENT_TYPES) expect(named, t).toContain(t);
  });
});

describe("step order after terraform apply", () => {
  const OBJECT_EVENTS = /--object-events-enabled true|object_events_enabled = true|Turn on object events/;
  const DIAGNOSE = /\{"diagnose": ?true\}'|oci-reencrypt diagnose|Check it\b|Run `\{"diagnose": true\}`/;

  it.each(DOCS.filter((d) => d !== "docs/cli.md"))("%s: object events are turned on before diagnose runs", (doc) => {
    const text = read(doc);
    const apply = text.search(/terraform (init && terraform )?(plan && terraform )?apply/);
    if (apply < 0) return;
    const after = text.slice(apply);
    const events = after.search(OBJECT_EVENTS);
    const diagnose = after.search(DIAGNOSE);
    if (diagnose < 0 || events < 0) return;
    expect(events, `${doc}: diagnose is run before object events are turned on`).toBeLessThan(diagnose);
  });

  it("the docs that walk through a deployment with rules have both steps", () => {
    for (const doc of ["README.md", "docs/deploy.md", "terraform/README.md", "terraform/examples/both/README.md"]) {
      const after = read(doc).slice(Math.max(0, read(doc).search(/terraform (init && terraform )?(plan && terraform )?apply/)));
      expect(after, `${doc}: turning on object events`).toMatch(OBJECT_EVENTS);
      expect(after, `${doc}: diagnose`).toMatch(DIAGNOSE);
    }
  });
});

describe("the API Gateway's endpoint type", () => {
  const moduleDefault = /variable "api_gateway_endpoint_type" \{[\s\S]*?default\s*=\s*"([A-Z]+)"/.exec(read("terraform/variables.tf"))?.[1];

  it("every example with a gateway sets it explicitly, to the module's default, PRIVATE", () => {
    expect(moduleDefault).toBe("PRIVATE");
    for (const e of EXAMPLES) {
      const args = moduleArguments(e);
      if (args.get("create_api_gateway") !== "true") continue;
      expect(args.get("api_gateway_endpoint_type"), `examples/${e}/main.tf`).toBe("var.api_gateway_endpoint_type");
      expect(read(`terraform/examples/${e}/terraform.tfvars.example`), `examples/${e}/terraform.tfvars.example`).toMatch(/^api_gateway_endpoint_type\s*=\s*"PRIVATE"$/m);
      expect(read(`terraform/examples/${e}/variables.tf`)).toMatch(/variable "api_gateway_endpoint_type" \{[\s\S]*?default\s*=\s*"PRIVATE"/);
      expect(exampleOutputs.get(e), `examples/${e}/outputs.tf`).toContain("api_gateway_ip_addresses");
      // Its README says the gateway is private and where to learn how to reach it.
      const readme = read(`terraform/examples/${e}/README.md`);
      expect(readme, `examples/${e}/README.md`).toMatch(/private/i);
      expect(readme, `examples/${e}/README.md`).toContain("docs/deploy.md#8-a-first-request-through-the-api-gateway-real-tenancy");
    }
  });

  it("docs/deploy.md says the gateway is private and how to reach it: a host in the VCN, or a Bastion port forward to the address the module outputs", () => {
    const doc = read("docs/deploy.md");
    const s8 = doc.slice(doc.indexOf("## 8."), doc.indexOf("## 9."));
    expect(s8).toContain('`api_gateway_endpoint_type = "PRIVATE"`');
    expect(s8).toMatch(/host in the VCN/);
    expect(s8).toMatch(/oci bastion session create-port-forwarding .*--target-private-ip "\$GW_IP" --target-port 443/);
    expect(s8).toMatch(/ssh .*-N -L 8443:"?\$GW_IP"?:443 /);
    expect(s8).toContain("terraform output -json api_gateway_ip_addresses");
    // Every curl to the gateway goes through the chosen path ($VIA: empty in the VCN, the tunnel otherwise).
    const curls = [...s8.matchAll(/^.*curl .*terraform output -raw api_(gateway|status)_url.*$/gm)].map((m) => m[0]);
    expect(curls.length).toBeGreaterThanOrEqual(3);
    for (const c of curls) expect(c).toContain("$VIA");
    // Choosing PUBLIC is explicit, with its risk.
    expect(s8).toMatch(/`api_gateway_endpoint_type = "PUBLIC"`[\s\S]*internet/);
    expect(read("docs/security.md")).toMatch(/private by default \(`api_gateway_endpoint_type = "PRIVATE"`\)/);
  });
});

describe("image references", () => {
  const version = (JSON.parse(read("package.json")) as { version: string }).version;
  // A temporary directory of its own: test/unit/image-script.test.ts counts the script's scratch directories in the shared one.
  const ownTmp = mkdtempSync(join(tmpdir(), "deploy-docs-image-"));
  afterAll(() => rmSync(ownTmp, { recursive: true, force: true }));
  const dryRun = spawnSync(process.execPath, ["scripts/image.mjs", "--dry-run", "--push", "iad.ocir.io/mytenancyns/oci-reencrypt"], { cwd: root, encoding: "utf8", env: { ...process.env, TMPDIR: ownTmp } });
  const printed = /^ {2}image {8}= "([^"]+)"$/m.exec(dryRun.stdout)?.[1] ?? "";

  it("have the shape `npm run image` prints: <region-key>.ocir.io/<namespace>/oci-reencrypt:<version>-<commit>", () => {
    expect(dryRun.status, dryRun.stderr).toBe(0);
    expect(printed).toMatch(new RegExp(`^iad\\.ocir\\.io/mytenancyns/oci-reencrypt:${version.replace(/\./g, "\\.")}-[0-9a-f]{7}(-dirty)?$`));
    const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const shape = new RegExp(
      `^(iad\\.ocir\\.io|<region-key>\\.ocir\\.io)/(mytenancyns|<namespace>)/oci-reencrypt:(${escape(version)}-[0-9a-f]{7}|<tag>)$`,
    );
    const files = [...DOCS, ...EXAMPLES.map((e) => `terraform/examples/${e}/terraform.tfvars.example`), "terraform/variables.tf"];
    let seen = 0;
    for (const f of files) {
      for (const m of read(f).matchAll(/\bimage\s*=\s*\\?"([^"\\]+)\\?"/g)) {
        seen++;
        expect(m[1], `${f}: image = "${m[1]}"`).toMatch(shape);
      }
      for (const m of read(f).matchAll(/\bimage_digest\s*=\s*"([^"]+)"/g)) expect(m[1], `${f}: image_digest`).toMatch(/^sha256:/);
      // Any other mention of the image with a tag (an "e.g." in a description, a sentence).
      for (const m of read(f).matchAll(/[\w<>.-]+\.ocir\.io\/[\w<>.-]+\/oci-reencrypt:[^\s"'`\\),]+/g)) expect(m[0], `${f}: ${m[0]}`).toMatch(shape);
    }
    expect(seen).toBeGreaterThanOrEqual(8);
  });

  it("the image the docs show pushing is the one they give Terraform", () => {
    const doc = read("docs/deploy.md");
    const pushed = [...doc.matchAll(/^pushed {3}(\S+)$/gm)].map((m) => m[1]);
    const given = [...doc.matchAll(/^\s*image {8}= "([^"]+)"$/gm)].map((m) => m[1]);
    expect(pushed.length).toBeGreaterThan(0);
    for (const g of given) expect(pushed).toContain(g);
  });
});

describe.runIf(terraformOnPath())("resource counts shown in the docs (terraform console over the module's count and for_each)", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const scratch = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), "reencrypt-deploy-docs-"));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  /** How many resources `terraform plan` would add for the example's terraform.tfvars.example. */
  async function resourcesFor(example: string): Promise<{ total: number; each: Record<string, number> }> {
    // 1. The module arguments, evaluated in the example with its tfvars.
    const args = moduleArguments(example);
    const exampleDir = scratch({
      "variables.tf": read(`terraform/examples/${example}/variables.tf`),
      "terraform.tfvars": read(`terraform/examples/${example}/terraform.tfvars.example`),
    });
    const values = consoleJson(exampleDir, `{ ${[...args].map(([k, v]) => `${k} = ${v}`).join(", ")} }`) as Record<string, unknown>;
    // 2. Every resource's count / for_each, evaluated in the module with those arguments.
    const resources = await moduleResources();
    const files = readdirSync(moduleDir).filter((f) => f.endsWith(".tf") && f !== "versions.tf");
    const moduleScratch = scratch({ "main.tf": scratchModule(moduleDir, files), "inputs.tfvars.json": JSON.stringify(values) });
    const counted = resources.filter((r) => r.count !== undefined || r.forEach !== undefined);
    const evaluated = consoleJson(moduleScratch, `{ ${counted.map((r) => `"${r.address}" = ${r.count ?? `length(${r.forEach})`}`).join(", ")} }`, join(moduleScratch, "inputs.tfvars.json")) as Record<string, number>;
    const each = Object.fromEntries(resources.map((r) => [r.address, r.count !== undefined || r.forEach !== undefined ? (evaluated[r.address] as number) : 1]));
    return { total: Object.values(each).reduce((a, b) => a + b, 0), each };
  }

  it("docs/deploy.md's plan and apply for the both example", async () => {
    const { total, each } = await resourcesFor("both");
    // What the example is for: every entrance, durable jobs, operations.
    expect(each).toMatchObject({ "oci_apigateway_gateway.this": 1, "oci_events_rule.object_created": 1, "oci_events_rule.key_rotated": 1, "oci_objectstorage_bucket.state": 1, "oci_resource_scheduler_schedule.sweep": 1, "oci_ons_notification_topic.ops": 1 });
    const doc = read("docs/deploy.md");
    expect(doc).toContain(`Plan: ${total} to add, 0 to change, 0 to destroy.`);
    expect(doc).toContain(`Apply complete! Resources: ${total} added, 0 changed, 0 destroyed.`);
    // The outputs it shows are the example's.
    const shown = doc.slice(doc.indexOf("Apply complete!"));
    for (const m of shown.slice(0, shown.indexOf("```")).matchAll(/^(\w+) = /gm)) expect(exampleOutputs.get("both"), m[1]).toContain(m[1]);
  }, 60_000);

  it.each(EXAMPLES)("examples/%s/README.md's plan", async (example) => {
    const { total } = await resourcesFor(example);
    expect(read(`terraform/examples/${example}/README.md`)).toContain(`Plan: ${total} to add, 0 to change, 0 to destroy.`);
  }, 60_000);
});

describe("links", () => {
  /** GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to hyphens. */
  const slug = (heading: string): string =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");
  const anchors = (md: string): Set<string> => {
    const out = new Set<string>();
    const seen = new Map<string, number>();
    const text = md.replace(/^```[\s\S]*?^```$/gm, "");
    for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
      const base = slug(m[1] as string);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    return out;
  };
  const linked = [...DOCS, "src/local/emulator/README.md"];

  it.each(linked)("%s: every relative link reaches a file, and a heading there when it names one", (doc) => {
    const text = read(doc).replace(/^```[\s\S]*?^```$/gm, "");
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/.test(target)) continue;
      const [path = "", anchor] = target.split("#");
      const file = path === "" ? doc : relative(root, resolve(root, dirname(doc), path));
      expect(existsSync(join(root, file)), `${doc}: ${target}`).toBe(true);
      if (anchor !== undefined && file.endsWith(".md")) expect(anchors(read(file)), `${doc}: ${target}`).toContain(anchor);
    }
  });
});
