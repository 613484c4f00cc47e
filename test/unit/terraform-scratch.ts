// Evaluating the Terraform module's expressions with the real `terraform` binary, offline: the
// module's variables and locals are copied to a scratch directory with every resource, data source
// and output left out and each resource attribute they refer to replaced by its own address as a
// string (so the function's OCID reads 'oci_functions_function.this.id'); the two Vault listings of
// vaults.tf become variables a case can fill (test_kms_vaults, test_kms_keys). `terraform console`
// then evaluates any expression over them; no provider, registry or network is involved.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const terraformEnv = { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null", TF_IN_AUTOMATION: "1", NO_COLOR: "1" };

export function terraformOnPath(): boolean {
  const r = spawnSync("terraform", ["version"], { encoding: "utf8", env: terraformEnv });
  return r.error === undefined && r.status === 0;
}

/** Drops top-level resource, data and output blocks (they start in column 0 and end with a lone "}"). */
export function withoutBlocks(hcl: string): string {
  const out: string[] = [];
  let skipping = false;
  for (const line of hcl.split("\n")) {
    if (!skipping && /^(resource|data|output) "/.test(line)) skipping = true;
    if (skipping) {
      if (line === "}") skipping = false;
      continue;
    }
    out.push(line);
  }
  return out.join("\n");
}

/** `one(oci_x.y[*].id)` and `oci_x.y.attr` / `oci_x.y[0].attr` become the string "oci_x.y.attr". */
export function withResourcesAsStrings(hcl: string): string {
  return hcl.replace(
    /\bone\((oci_[a-z0-9_]+)\.([a-z0-9_]+)\[\*\]\.([a-z_]+)\)|\b(oci_[a-z0-9_]+)\.([a-z0-9_]+)(?:\[0\])?\.([a-z_]+)\b/g,
    (...m: string[]) => `"${[m[1] ?? m[4], m[2] ?? m[5], m[3] ?? m[6]].join(".")}"`,
  );
}

/** The scratch module's one file: the given module files' variables and locals, resources as strings, Vault listings as variables. */
export function scratchModule(moduleDir: string, files: readonly string[]): string {
  const source = files.map((f) => readFileSync(join(moduleDir, f), "utf8")).join("\n");
  const listings = withoutBlocks(source).replace(/\bdata\.oci_kms_vaults\.for_keys\b/g, "var.test_kms_vaults").replace(/\bdata\.oci_kms_keys\.for_keys\b/g, "var.test_kms_keys");
  const stubs = ['variable "test_kms_vaults" {', "  type    = any", "  default = {}", "}", 'variable "test_kms_keys" {', "  type    = any", "  default = {}", "}"].join("\n");
  return `${withResourcesAsStrings(listings)}\n${stubs}\n`;
}

/**
 * `terraform console` in `dir` with `varFile`: the value of `jsonencode(<expression>)`, parsed.
 * Throws with terraform's diagnostics when it refuses.
 */
export function consoleJson(dir: string, expression: string, varFile?: string): unknown {
  const args = ["console", ...(varFile ? [`-var-file=${varFile}`] : [])];
  const r = spawnSync("terraform", args, { cwd: dir, input: `jsonencode(${expression})\n`, encoding: "utf8", env: terraformEnv });
  const plain = (t: string): string => t.replace(/\u001b\[[0-9;]*m/g, "");
  if (r.status !== 0 || /Error:/.test(plain(r.stderr))) throw new Error(`terraform console failed:\n${plain(r.stderr)}${plain(r.stdout)}`);
  // The console prints the JSON text as an HCL string literal, whose escapes are JSON's here.
  return JSON.parse(JSON.parse(plain(r.stdout).trim()) as string);
}
