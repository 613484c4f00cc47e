// Extracts the options of `oci` (its global options) and of `oci os object reencrypt` and
// `oci os bucket reencrypt` from a clone of oracle/oci-cli into test/fixtures/oci-cli/reencrypt-options.json:
// option names, flag or value, repeatable, choices. Data only: the source's decorators are read
// as text, nothing of it is run or copied. docs/cli.md's parity table is generated from that file
// and from our commander definitions (test/unit/cli-parity.test.ts).
//
//   node scripts/extract-oci-cli-options.mjs <oci-cli git dir or checkout> [commit]
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";

const [repo, commit = "HEAD"] = process.argv.slice(2);
if (!repo) {
  console.error("usage: node scripts/extract-oci-cli-options.mjs <oci-cli git dir> [commit]");
  process.exit(2);
}
const git = (...args) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
const show = (path) => git("show", `${commit}:${path}`);
const sha = git("rev-parse", commit).trim();
const version = /__version__ = '([^']+)'/.exec(show("src/oci_cli/version.py"))?.[1];

/** The argument text of a call starting at `open` (the index of its "("), Python strings skipped. */
function callArgs(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    const triple = text.slice(i, i + 3);
    if (triple === '"""' || triple === "'''") {
      const end = text.indexOf(triple, i + 3);
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      i = j;
      continue;
    }
    if (c === "(") depth++;
    if (c === ")" && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error("unbalanced call");
}

/** One option decorator's data: its names (the leading string arguments that start with "-"), flag, multiple, choices. */
function optionOf(args) {
  const names = [];
  // The leading run of string arguments: `'-ns', '--namespace', '--namespace-name', 'namespace'`.
  for (const m of args.matchAll(/\s*(?:'([^']*)'|"([^"]*)")\s*,?/gy)) {
    const s = m[1] ?? m[2];
    if (s.startsWith("-")) names.push(s);
  }
  const choices = /Choice\((?:choices=)?\[([^\]]*)\]/.exec(args)?.[1];
  const type = /type=([\w.]+)/.exec(args)?.[1];
  return {
    names,
    flag: /is_flag=True/.test(args),
    ...(/multiple=True/.test(args) ? { multiple: true } : {}),
    ...(choices ? { choices: [...choices.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]) } : {}),
    ...(type && !type.startsWith("custom_types.CliCaseInsensitiveChoice") ? { type } : {}),
  };
}

/** The option decorators right above `def <fn>(` (stopping at the previous def or command decorator). */
function decoratorsOf(text, fn, kind = /@(?:cli_util|click)\.option\(/g) {
  const at = text.indexOf(`def ${fn}(`);
  if (at < 0) throw new Error(`no def ${fn}`);
  const start = Math.max(text.lastIndexOf("\ndef ", at - 2), text.lastIndexOf(".command(", at));
  const block = text.slice(start, at);
  const out = [];
  for (const m of block.matchAll(kind)) out.push(optionOf(callArgs(block, m.index + m[0].length - 1)));
  return out;
}

const root = show("src/oci_cli/cli_root.py");
const globals = decoratorsOf(root, "cli").filter((o) => o.names.length > 0);
globals.push({ names: ["-v", "--version"], flag: true });

const generated = show("services/object_storage/src/oci_cli_object_storage/generated/objectstorage_cli.py");
const extended = show("services/object_storage/src/oci_cli_object_storage/objectstorage_cli_extended.py");

/** A generated command's options, with the extension's aliases (`get_param(...).opts.extend([...])`). */
function generatedCommand(fn) {
  const options = decoratorsOf(generated, fn);
  for (const m of extended.matchAll(new RegExp(`get_param\\(objectstorage_cli\\.${fn}, '(\\w+)'\\)\\.opts\\.extend\\(\\[([^\\]]*)\\]\\)`, "g"))) {
    const param = `--${m[1].replace(/_/g, "-")}`;
    const o = options.find((x) => x.names.includes(param));
    if (o) o.names.push(...[...m[2].matchAll(/'([^']+)'/g)].map((x) => x[1]));
  }
  options.push({ names: ["--from-json"], flag: false });
  options.push({ names: ["-?", "-h", "--help"], flag: true });
  return options;
}

const bucket = generatedCommand("reencrypt_bucket");
const object = generatedCommand("reencrypt_object");
// The extension replaces the generated command: it drops the JSON key options and adds key files.
const excluded = /params_to_exclude=(\w+)/.exec(extended.slice(extended.indexOf("copy_params_from_generated_command(objectstorage_cli.reencrypt_object")))?.[1];
const excludedNames = [...(new RegExp(`${excluded} = \\[([^\\]]*)\\]`).exec(extended)?.[1] ?? "").matchAll(/'([^']+)'/g)].map((m) => `--${m[1].replace(/_/g, "-")}`);
const extension = decoratorsOf(extended, "reencrypt_object");
const objectOptions = [...object.filter((o) => !o.names.some((n) => excludedNames.includes(n))), ...extension];

const data = {
  source: `oracle/oci-cli ${version} (${sha})`,
  extractedBy: "scripts/extract-oci-cli-options.mjs",
  removedByExtension: { "os object reencrypt": excludedNames },
  commands: { global: globals, "os object reencrypt": objectOptions, "os bucket reencrypt": bucket },
};
const out = new URL("../test/fixtures/oci-cli/reencrypt-options.json", import.meta.url);
writeFileSync(out, JSON.stringify(data, null, 2) + "\n");
console.log(`wrote ${out.pathname}: ${globals.length} global options, ${objectOptions.length} for os object reencrypt, ${bucket.length} for os bucket reencrypt`);
