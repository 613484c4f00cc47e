// Bundles the function into one CommonJS file (the FDK and the OCI SDK are CommonJS; an ESM
// bundle of them breaks on dynamic require), plus the local tools.
import { build } from "esbuild";
import { statSync } from "node:fs";

const common = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: "linked", logLevel: "warning", legalComments: "none" };

const entries = [
  { in: "src/func.ts", out: "dist/func.cjs", minify: true, keepNames: true },
  { in: "src/local/demo.ts", out: "dist/demo.cjs", optional: true },
  { in: "src/local/bench.ts", out: "dist/bench.cjs", optional: true },
];

for (const e of entries) {
  try {
    statSync(e.in);
  } catch {
    if (e.optional) continue;
    throw new Error(`missing entry ${e.in}`);
  }
  await build({ ...common, entryPoints: [e.in], outfile: e.out, minify: e.minify ?? false, keepNames: e.keepNames ?? false });
}
