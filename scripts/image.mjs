#!/usr/bin/env node
// `npm run image -- --push <region-key>.ocir.io/<namespace>/<repo>`: builds the function's image
// from the Dockerfile for the Functions application's shape, pushes it to OCI Registry and prints
// its digest with the Terraform values to deploy exactly that build. `--dry-run` prints the
// commands it would run after checking its inputs; it needs neither docker nor podman.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { parseArgs } from "node:util";

const root = new URL("..", import.meta.url).pathname;

export const USAGE = `usage: npm run image -- [--push <registry>/<namespace>/<repo>] [--tag T] [--platform P] [--tool docker|podman] [--dry-run]

Builds the function image from the Dockerfile (its build stage bundles src/ into dist/func.cjs; the
image ships only that file on fnproject/node:20).

  --push REPO      push to this OCI Registry repository, e.g. iad.ocir.io/mytenancyns/oci-reencrypt
                   (<region-key>.ocir.io/<tenancy namespace>/<repo>, in the function's region), then
                   print its digest. Without it the image is only built, as oci-reencrypt:<tag>.
  --tag T          image tag. Default <package.json version>-<git commit> (e.g. 0.1.0-a441835), plus
                   -dirty with uncommitted changes: a new tag per build, since OCI Functions keeps
                   the digest it recorded for a tag that is pushed again.
  --platform P     linux/amd64 (default; application_shape GENERIC_X86), linux/arm64 (GENERIC_ARM)
                   or linux/amd64,linux/arm64 (GENERIC_X86_ARM: needs --push and docker buildx).
                   Set it when building on an ARM machine (Apple silicon) for an x86 application.
  --tool NAME      docker or podman. Default: the first of them on the PATH.
  --dry-run        check the inputs and print the commands without running anything.
  -h, --help       this text.

Before --push: docker login <region-key>.ocir.io, user <tenancy namespace>/<user name> (federated:
<tenancy namespace>/oracleidentitycloudservice/<user name>), password an auth token (Console:
profile > Auth tokens).`;

const PLATFORMS = {
  "linux/amd64": "GENERIC_X86",
  "linux/arm64": "GENERIC_ARM",
  "linux/amd64,linux/arm64": "GENERIC_X86_ARM",
};

class UsageError extends Error {}

// <region-key>.ocir.io (iad.ocir.io), <region>.ocir.io (us-ashburn-1.ocir.io), or the newer
// ocir.<region>.oci.oraclecloud.com.
const OCIR_HOST = /^(?:[a-z]{3}|[a-z]+-[a-z]+-\d+)\.ocir\.io$|^ocir\.[a-z]+-[a-z]+-\d+\.oci\.oraclecloud\.com$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /sha256:[0-9a-f]{64}/;
/** The repository name the docs and examples use. */
const DEFAULT_REPOSITORY = "oci-reencrypt";

/** `<host>/<namespace>/<repo…>`, or why not. */
export function checkRepository(repo) {
  if (/[@]/.test(repo) || /:[^/]*$/.test(repo.split("/").slice(1).join("/"))) {
    throw new UsageError(`--push takes the repository without a tag or digest, got "${repo}"; give the tag with --tag`);
  }
  const parts = repo.split("/");
  const [host, namespace, ...path] = parts;
  if (!host || !OCIR_HOST.test(host)) {
    throw new UsageError(
      `--push "${repo}": the registry must be OCI Registry in the function's region, e.g. iad.ocir.io/<namespace>/oci-reencrypt (OCI Functions pulls images only from there)`,
    );
  }
  // Two parts where three are needed: which one is missing cannot be told from the text alone,
  // except for the repository name every doc uses (then it is the namespace).
  if (namespace && path.length === 0) {
    if (namespace === DEFAULT_REPOSITORY) {
      throw new UsageError(
        `--push "${repo}": the tenancy's Object Storage namespace is missing between the registry and the repository: ${host}/<namespace>/${namespace} (oci os ns get prints the namespace)`,
      );
    }
    throw new UsageError(
      `--push "${repo}": after the registry come two parts, the tenancy's Object Storage namespace and the repository: ${host}/<namespace>/<repository>. If "${namespace}" is the namespace, add the repository (${host}/${namespace}/${DEFAULT_REPOSITORY}); if it is the repository, put the namespace before it (${host}/<namespace>/${namespace}; oci os ns get prints it)`,
    );
  }
  if (!namespace || !/^[a-z0-9][a-z0-9-]*$/.test(namespace)) {
    throw new UsageError(`--push "${repo}": the second part must be the tenancy's Object Storage namespace (oci os ns get), in lowercase`);
  }
  if (path.length === 0 || !path.every((p) => PATH_COMPONENT.test(p))) {
    throw new UsageError(`--push "${repo}": the repository name after the namespace must be lowercase letters, digits and . _ - (e.g. oci-reencrypt)`);
  }
  return { host, namespace, path: path.join("/") };
}

function git(args) {
  const r = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function defaultTag() {
  const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  const commit = git(["rev-parse", "--short=7", "HEAD"]);
  if (!commit) return version;
  const dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
  return `${version}-${commit}${dirty ? "-dirty" : ""}`;
}

const onPath = (name) => (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, name)));

export function readOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        push: { type: "string" },
        tag: { type: "string" },
        platform: { type: "string" },
        tool: { type: "string" },
        "dry-run": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (values.help) return { help: true };
  const platform = (values.platform ?? "linux/amd64").replace(/\s+/g, "");
  if (!(platform in PLATFORMS)) throw new UsageError(`--platform "${values.platform}": one of ${Object.keys(PLATFORMS).join(", ")}`);
  const tag = values.tag ?? defaultTag();
  if (!TAG.test(tag)) throw new UsageError(`--tag "${tag}": letters, digits, _ . - only, at most 128, not starting with . or -`);
  const push = values.push === undefined ? undefined : checkRepository(values.push.replace(/\/+$/, ""));
  const multi = platform.includes(",");
  if (multi && !push) throw new UsageError("a multi-platform image (GENERIC_X86_ARM) can only be built and pushed in one step: add --push");
  const dryRun = values["dry-run"] === true;
  let tool = values.tool;
  if (tool !== undefined && tool !== "docker" && tool !== "podman") throw new UsageError(`--tool "${tool}": docker or podman`);
  const found = tool ?? ["docker", "podman"].find(onPath);
  if (!found && !dryRun) throw new UsageError("neither docker nor podman is on the PATH: install one (or pass --dry-run to see the commands)");
  tool = found ?? "docker";
  if (multi && tool === "podman") throw new UsageError("multi-platform images are built here with docker buildx; with podman build and push each platform's image separately");
  if (!existsSync(join(root, "Dockerfile"))) throw new UsageError(`no Dockerfile in ${root}`);
  const repo = push ? `${push.host}/${push.namespace}/${push.path}` : "oci-reencrypt";
  return { help: false, dryRun, tool, toolFound: found !== undefined, platform, shape: PLATFORMS[platform], tag, push, ref: `${repo}:${tag}`, multi };
}

/** The commands, in order; `digestFile` is where podman / buildx write the digest. */
export function plan(o, digestFile) {
  const steps = [];
  if (o.multi) {
    steps.push({ argv: [o.tool, "buildx", "build", "--platform", o.platform, "--tag", o.ref, "--metadata-file", digestFile, "--push", "."], what: "build for both platforms and push" });
    return steps;
  }
  steps.push({ argv: [o.tool, "build", "--platform", o.platform, "--tag", o.ref, "."], what: `build for ${o.platform}` });
  if (o.push) {
    steps.push(
      o.tool === "podman"
        ? { argv: ["podman", "push", "--digestfile", digestFile, o.ref], what: "push" }
        : { argv: ["docker", "push", o.ref], what: "push (docker prints the digest)" },
    );
  }
  return steps;
}

const shellQuote = (s) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Runs a command with its output passed through; resolves with what it printed. */
function run(argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (c) => {
      text += c;
      process.stdout.write(c);
    });
    child.stderr.on("data", (c) => {
      text += c;
      process.stderr.write(c);
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(text) : reject(Object.assign(new Error(`${argv.slice(0, 2).join(" ")} exited with ${code}`), { output: text }))));
  });
}

function tfvars(o, digest) {
  return [
    "Terraform (terraform.tfvars of your root module or example):",
    `  image        = "${o.ref}"`,
    `  image_digest = "${digest}"`,
    `Application shape for this image: ${o.shape} (the module's application_shape).`,
  ];
}

export async function main(argv) {
  const o = readOptions(argv);
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  const tmp = mkdtempSync(join(tmpdir(), "oci-reencrypt-image-"));
  const digestFile = join(tmp, "digest");
  try {
    const steps = plan(o, digestFile);
    console.log(`image    ${o.ref}`);
    console.log(`platform ${o.platform} (application_shape ${o.shape})`);
    if (o.dryRun) {
      console.log(`dry run: nothing is run${o.toolFound ? "" : ` (${o.tool} is not on the PATH here)`}. The commands:`);
      if (o.push) console.log(`  # first, once: ${o.tool} login ${o.push.host} -u '${o.push.namespace}/<user name>'   (password: an auth token)`);
      for (const s of steps) console.log(`  ${s.argv.map(shellQuote).join(" ")}`);
      if (o.push) {
        console.log("then the digest it prints, and:");
        for (const line of tfvars(o, "sha256:<the digest printed by the push>")) console.log(line);
      }
      return 0;
    }
    let output = "";
    for (const s of steps) {
      console.log(`+ ${s.argv.map(shellQuote).join(" ")}`);
      try {
        output = await run(s.argv);
      } catch (error) {
        const said = String(error.output ?? "");
        if (o.push && /unauthorized|denied|authentication required|not authorized/i.test(said)) {
          throw new Error(`${error.message}: the registry refused the push; log in first: ${o.tool} login ${o.push.host} -u '${o.push.namespace}/<user name>' with an auth token as password`);
        }
        throw error;
      }
    }
    if (!o.push) {
      console.log(`built ${o.ref} (not pushed: add --push <region-key>.ocir.io/<namespace>/oci-reencrypt to deploy it)`);
      return 0;
    }
    // docker push prints "…: digest: sha256:… size: N"; podman and buildx write it to a file.
    let digest = existsSync(digestFile) ? readFileSync(digestFile, "utf8").match(DIGEST)?.[0] : undefined;
    if (!digest && o.multi && existsSync(digestFile)) digest = JSON.parse(readFileSync(digestFile, "utf8"))["containerimage.digest"];
    digest ??= output.match(/digest: (sha256:[0-9a-f]{64})/)?.[1];
    if (!digest) {
      const inspect = spawnSync(o.tool, ["inspect", "--format", "{{index .RepoDigests 0}}", o.ref], { encoding: "utf8" });
      digest = inspect.stdout?.match(DIGEST)?.[0];
    }
    if (!digest) throw new Error(`pushed ${o.ref}, but its digest could not be read: look it up in the Console (Container Registry) or with ${o.tool} inspect`);
    console.log(`pushed   ${o.ref}`);
    console.log(`digest   ${digest}`);
    for (const line of tfvars(o, digest)) console.log(line);
    return 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`image: ${error.message}\n`);
      if (error instanceof UsageError) process.stderr.write(`${USAGE.split("\n")[0]}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
