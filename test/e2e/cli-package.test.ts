import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

// The package as an operator gets it: `npm pack` carries the CLI bundle, `npm i -g` of the tarball
// puts `oci-reencrypt` on the PATH, and `npx oci-reencrypt` works in a checkout after `npm ci`.

const run = promisify(execFile);
const version = JSON.parse(readFileSync("package.json", "utf8")).version as string;
const dir = mkdtempSync(join(tmpdir(), "cli-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("packaging", () => {
  it("declares the bin, and npm pack includes the bundle (the package stays private)", async () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8"));
    expect(pkg.private).toBe(true);
    expect(pkg.bin).toEqual({ "oci-reencrypt": "dist/cli.cjs" });
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"]);
    const files = (JSON.parse(stdout)[0].files as { path: string }[]).map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(["package.json", "dist/cli.cjs"]));
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("test/") || f === "dist/func.cjs")).toEqual([]);
    expect(readFileSync("dist/cli.cjs", "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("installs globally from the packed tarball and runs as oci-reencrypt", async () => {
    await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir]);
    const prefix = join(dir, "prefix");
    await run("npm", ["install", "-g", "--prefix", prefix, join(dir, `oci-reencrypt-${version}.tgz`), "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"]);
    const bin = join(prefix, "bin", "oci-reencrypt");
    expect((await run(bin, ["--version"])).stdout.trim()).toBe(version);
    expect((await run(bin, ["object", "--help"])).stdout).toContain("--source-encryption-key-file");
  }, 180_000);

  it("ends quietly when the reader closes the pipe early (| head)", async () => {
    // A long answer into a reader that takes one line: no EPIPE stack trace, exit 0.
    const { stdout, stderr } = await run("bash", ["-o", "pipefail", "-c", "node dist/cli.cjs object --help | head -1; echo rc=$?"]);
    expect(stdout).toMatch(/^Usage: oci-reencrypt object/);
    expect(stdout).toMatch(/rc=0\n$/);
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
  });

  it("runs with npx in the checkout", async () => {
    const { stdout } = await run("npx", ["--no-install", "oci-reencrypt", "--version"]);
    expect(stdout.trim()).toBe(version);
  });
});
