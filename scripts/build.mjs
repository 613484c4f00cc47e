// Bundles the function into one CommonJS file (the FDK and the OCI SDK are CommonJS; an ESM
// bundle of them breaks on dynamic require), plus the local tools.
//
// The function bundle leaves out what it cannot reach or what node:crypto and Node's global fetch
// already do (scripts/bundle-slimming.mjs says which and why; checked against the metafile). The
// Key Management, Functions, Events and Secrets SDKs are files of their own beside it
// (dist/sdk-*.cjs), required on first use (dynamic import() in src/oci): a cold start neither
// reads nor compiles them.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { createRequire } from "node:module";
import {
  SIDE_MODULES,
  SIDE_SDKS,
  checkAscii,
  checkFunctionBundle,
  checkSideBundle,
  checkSideModules,
  checkUnusedClients,
  loadSideSdks,
  sharedFromFunctionBundle,
  sideModulesEntry,
  slimBundle,
  slimFunctionBundle,
} from "./bundle-slimming.mjs";

const require = createRequire(import.meta.url);

// The CLI's bundle runs as a vm.Script (src/cli-loader.ts), where a native import() has no loader:
// Node's modules imported on first use (node:https) become lazy requires, as esbuild makes any
// bundled module's import().
const builtinImportsAsRequire = {
  name: "builtin-imports-as-require",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => (a.kind === "dynamic-import" ? { path: a.path, namespace: "builtin-require" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "builtin-require" }, (a) => ({ contents: `module.exports = require(${JSON.stringify(a.path)});`, loader: "js" }));
  },
};

// Node's global Headers is undici's, and its first use evaluates all of Node's fetch (45–60 ms of
// CPU): the bundles whose requests go through our HTTP client get a light Headers in its place.
const lightHeaders = ["src/oci/http/headers-inject.ts"];

const common = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: "linked", logLevel: "warning", legalComments: "none" };

checkUnusedClients("src");
const functionBundle = { minify: true, keepNames: false, plugins: [loadSideSdks, slimFunctionBundle], metafile: true };
const entries = [
  { in: "src/func.ts", out: "dist/func.cjs", ...functionBundle, inject: lightHeaders, define: { REENCRYPT_SDK_HTTP_CLIENT: "false" } },
  // For `npm run bench` only: the same function with the SDK's own HTTP client and signer.
  { in: "src/func.ts", out: "dist/func-sdk-http.cjs", ...functionBundle, define: { REENCRYPT_SDK_HTTP_CLIENT: "true" }, optional: true },
  // The image's entry point: runs func.cjs with V8's code cache (func.cjs.cache, made at image build).
  { in: "src/func-loader.ts", out: "dist/func-loader.cjs", minify: true },
  { in: "src/local/demo.ts", out: "dist/demo.cjs", optional: true },
  { in: "src/local/bench.ts", out: "dist/bench.cjs", optional: true },
  // The CLI: its bundle, and its entry (the bin), which runs the bundle with V8's code cache.
  { in: "src/cli/main.ts", out: "dist/cli-main.cjs", minify: true, ascii: true, inject: lightHeaders, plugins: [builtinImportsAsRequire] },
  { in: "src/cli-loader.ts", out: "dist/cli.cjs", minify: true },
];

// `node scripts/build.mjs cli` builds only the entries whose output names it (npm's prepare: the
// CLI after `npm ci`, so `npx oci-reencrypt` works in a fresh clone).
const only = process.argv[2];
for (const e of entries) {
  if (only && !e.out.includes(only)) continue;
  try {
    statSync(e.in);
  } catch {
    if (e.optional) continue;
    throw new Error(`missing entry ${e.in}`);
  }
  const result = await build({
    ...common,
    entryPoints: [e.in],
    outfile: e.out,
    minify: e.minify ?? false,
    keepNames: e.keepNames ?? false,
    plugins: e.plugins ?? [],
    define: e.define ?? {},
    inject: e.inject ?? [],
    metafile: e.metafile ?? false,
  });
  if (result.metafile) checkFunctionBundle(e.out, result.metafile);
  if (e.ascii) checkAscii(e.out);
}

// The CLI's code cache, made by the CLI's own entry from the bundle just built.
if (!only || "dist/cli.cjs".includes(only)) {
  const r = spawnSync(process.execPath, ["dist/cli.cjs", "--write-code-cache"], { encoding: "utf8" });
  if (r.status !== 0 || !existsSync("dist/cli-main.cjs.cache")) throw new Error(`the CLI's code cache was not written: ${r.stderr || r.stdout}`);
}

for (const [pkg, file] of Object.entries(SIDE_SDKS)) {
  const out = `dist/${file}`;
  const result = await build({
    ...common,
    entryPoints: [require.resolve(pkg)],
    outfile: out,
    minify: true,
    plugins: [sharedFromFunctionBundle, slimFunctionBundle],
    metafile: true,
  });
  checkSideBundle(out, pkg, result.metafile);
}

for (const [file, modules] of Object.entries(SIDE_MODULES)) {
  const out = `dist/${file}`;
  const result = await build({
    ...common,
    stdin: { contents: sideModulesEntry(modules), resolveDir: ".", loader: "js", sourcefile: file },
    outfile: out,
    minify: true,
    plugins: [slimBundle(modules)],
    metafile: true,
  });
  checkSideModules(out, modules, result.metafile);
}

// Chunks from an earlier layout would be dead weight beside the one bundle.
for (const f of readdirSync("dist")) if (/^chunk-.*\.cjs(\.map)?$/.test(f)) unlinkSync(`dist/${f}`);
