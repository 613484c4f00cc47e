#!/usr/bin/env node
// The CLI's entry (bin "oci-reencrypt", dist/cli.cjs): runs cli-main.cjs, the CLI bundle beside
// this file, with V8's code cache (cli-main.cjs.cache) when a valid one is there. Compiling the
// 2 MB bundle was most of every command's start: `--version` took 0.33 s without the cache and
// 0.24 s with it (docs/cli.md). `npm run build` writes the cache by running
// `node dist/cli.cjs --write-code-cache`; without it, or with one made by another Node, the bundle
// is compiled as `node cli-main.cjs` would (code-cache.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileBundle, runBundle, validCache, writeCache } from "./code-cache.js";

const bundlePath = join(__dirname, "cli-main.cjs");
const cachePath = `${bundlePath}.cache`;
const source = readFileSync(bundlePath);

if (process.argv[2] === "--write-code-cache") {
  // What `--version` compiles: every module's top level, which each command runs first.
  process.argv.splice(2, 1, "--version");
  const script = compileBundle(bundlePath, source, undefined);
  process.on("exit", () => {
    writeCache(script, source, cachePath);
  });
  runBundle(script, bundlePath, require);
} else {
  runBundle(compileBundle(bundlePath, source, validCache(source, cachePath)), bundlePath, require);
}
