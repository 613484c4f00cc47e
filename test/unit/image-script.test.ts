import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

// scripts/image.mjs (`npm run image`): no docker daemon here, so it runs in --dry-run mode, and
// against fake docker/podman executables that record their arguments and answer as the real ones.

const SCRIPT = resolve("scripts/image.mjs");
const REPO = "iad.ocir.io/mytenancyns/oci-reencrypt";
const DIGEST = `sha256:${"ab12".repeat(16)}`;
const VERSION = JSON.parse(readFileSync("package.json", "utf8")).version as string;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A PATH with only these fake tools, git and a shell. */
function fakeTools(tools: Record<string, string>): { path: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "image-test-"));
  dirs.push(dir);
  const log = join(dir, "calls.log");
  for (const [name, body] of Object.entries(tools)) {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return { path: `${dir}:/usr/bin:/bin`, log };
}

function image(args: string[], path = fakeTools({}).path) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8", env: { PATH: path, HOME: tmpdir() } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run image (scripts/image.mjs)", () => {
  it("--dry-run prints the login, build and push it would run, and the Terraform values, without docker", () => {
    const r = image(["--dry-run", "--push", REPO, "--tag", "0.1.0-test"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines).toContain(`image    ${REPO}:0.1.0-test`);
    expect(lines).toContain("platform linux/amd64 (application_shape GENERIC_X86)");
    expect(r.stdout).toContain("(docker is not on the PATH here)");
    expect(lines).toContain("  # first, once: docker login iad.ocir.io -u 'mytenancyns/<user name>'   (password: an auth token)");
    const commands = lines.filter((l) => /^ {2}docker /.test(l));
    expect(commands).toEqual([`  docker build --platform linux/amd64 --tag ${REPO}:0.1.0-test .`, `  docker push ${REPO}:0.1.0-test`]);
    expect(lines).toContain(`  image        = "${REPO}:0.1.0-test"`);
    expect(lines).toContain('  image_digest = "sha256:<the digest printed by the push>"');
  });

  it("tags with the version and the commit by default; builds for ARM or both shapes when asked", () => {
    const r = image(["--dry-run", "--push", REPO]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^image {4}${REPO}:${VERSION.replace(/\./g, "\\.")}-[0-9a-f]{7}(-dirty)?$`, "m"));

    const arm = image(["--dry-run", "--push", REPO, "--tag", "t1", "--platform", "linux/arm64"]);
    expect(arm.stdout).toContain("platform linux/arm64 (application_shape GENERIC_ARM)");
    expect(arm.stdout).toContain(`  docker build --platform linux/arm64 --tag ${REPO}:t1 .`);

    const both = image(["--dry-run", "--push", REPO, "--tag", "t1", "--platform", "linux/amd64,linux/arm64"]);
    expect(both.code).toBe(0);
    expect(both.stdout).toContain("(application_shape GENERIC_X86_ARM)");
    expect(both.stdout).toMatch(new RegExp(`^ {2}docker buildx build --platform linux/amd64,linux/arm64 --tag ${REPO}:t1 --metadata-file \\S+ --push \\.$`, "m"));

    const local = image(["--dry-run", "--tag", "t1"]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain("  docker build --platform linux/amd64 --tag oci-reencrypt:t1 .");
    expect(local.stdout).not.toMatch(/push|login/);
  });

  it.each([
    [["--push", "docker.io/library/oci-reencrypt"], /must be OCI Registry in the function's region/],
    [["--push", `${REPO}:1.0`], /without a tag or digest.*--tag/],
    [["--push", "iad.ocir.io/MyTenancy/oci-reencrypt"], /tenancy's Object Storage namespace .*lowercase/],
    [["--push", "iad.ocir.io/oci-reencrypt"], /"iad\.ocir\.io\/oci-reencrypt": the tenancy's Object Storage namespace is missing between the registry and the repository: iad\.ocir\.io\/<namespace>\/oci-reencrypt \(oci os ns get/],
    [["--push", "iad.ocir.io/mytenancyns"], /two parts, the tenancy's Object Storage namespace and the repository: .*add the repository \(iad\.ocir\.io\/mytenancyns\/oci-reencrypt\).*put the namespace before it \(iad\.ocir\.io\/<namespace>\/mytenancyns/],
    [["--push", "iad.ocir.io/mytenancyns/Oci_Reencrypt"], /repository name after the namespace must be lowercase/],
    [["--push", REPO, "--platform", "linux/386"], /--platform "linux\/386": one of linux\/amd64, linux\/arm64, linux\/amd64,linux\/arm64/],
    [["--push", REPO, "--tag=.x"], /--tag ".x"/],
    [["--platform", "linux/amd64,linux/arm64", "--tag", "t"], /multi-platform .* add --push/],
    [["--tool", "buildah", "--tag", "t"], /--tool "buildah": docker or podman/],
    [["--bogus"], /Unknown option '--bogus'/],
  ])("refuses %j with exit 2 and one reason, running nothing", (args, reason) => {
    const r = image(["--dry-run", ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const [first, second] = r.stderr.trim().split("\n");
    expect(first).toMatch(/^image: /);
    expect(first).toMatch(reason);
    expect(second).toMatch(/^usage: npm run image --/);
  });

  it("says what to install when neither docker nor podman is on the PATH", () => {
    const r = image(["--push", REPO, "--tag", "t"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/neither docker nor podman is on the PATH/);
  });

  it("builds, pushes and prints the digest docker push reports", () => {
    const tools = fakeTools({ docker: `case "$1" in push) echo "t2: digest: ${DIGEST} size: 1574";; esac` });
    const r = image(["--push", REPO, "--tag", "t2"], tools.path);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(tools.log, "utf8").trim().split("\n")).toEqual([`docker build --platform linux/amd64 --tag ${REPO}:t2 .`, `docker push ${REPO}:t2`]);
    const lines = r.stdout.split("\n");
    expect(lines).toContain(`pushed   ${REPO}:t2`);
    expect(lines).toContain(`digest   ${DIGEST}`);
    expect(lines).toContain(`  image        = "${REPO}:t2"`);
    expect(lines).toContain(`  image_digest = "${DIGEST}"`);
  });

  it("reads the digest podman writes to --digestfile, and the one docker buildx writes to its metadata file", () => {
    const podman = fakeTools({ podman: `case "$1" in push) echo "${DIGEST}" > "$3";; esac` });
    const p = image(["--push", REPO, "--tag", "t3", "--tool", "podman"], podman.path);
    expect(p.code).toBe(0);
    expect(readFileSync(podman.log, "utf8")).toMatch(new RegExp(`^podman push --digestfile \\S+ ${REPO}:t3$`, "m"));
    expect(p.stdout).toContain(`image_digest = "${DIGEST}"`);

    const buildx = fakeTools({ docker: `echo '{"containerimage.digest": "${DIGEST}"}' > "$8"` });
    const b = image(["--push", REPO, "--tag", "t4", "--platform", "linux/amd64,linux/arm64"], buildx.path);
    expect(b.stderr).toBe("");
    expect(b.code).toBe(0);
    expect(b.stdout).toContain(`digest   ${DIGEST}`);
  });

  it("says to log in when the registry refuses the push", () => {
    const tools = fakeTools({ docker: 'case "$1" in push) echo "unauthorized: authentication required" >&2; exit 1;; esac' });
    const r = image(["--push", REPO, "--tag", "t5"], tools.path);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^image: docker push exited with 1: the registry refused the push; log in first: docker login iad\.ocir\.io -u 'mytenancyns\/<user name>'/m);
    expect(r.stdout).not.toMatch(/^digest/m);
  });

  it("leaves no temporary files behind", () => {
    const before = existsSync(tmpdir()) ? spawnSync("sh", ["-c", `ls -d ${tmpdir()}/oci-reencrypt-image-* 2>/dev/null | wc -l`], { encoding: "utf8" }).stdout.trim() : "0";
    image(["--dry-run", "--push", REPO, "--tag", "t6"]);
    const after = spawnSync("sh", ["-c", `ls -d ${tmpdir()}/oci-reencrypt-image-* 2>/dev/null | wc -l`], { encoding: "utf8" }).stdout.trim();
    expect(after).toBe(before);
  });
});
