// Project rules that the type checker cannot see. Exits 1 listing every violation.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".ts")) files.push(p);
  }
};
walk(join(root, "src"));
walk(join(root, "test"));

// The layers, lowest first: a file may import from its own layer and the ones below, never above.
// Root files are utilities (log, errors, glob, ...) at the bottom, except the ones named here.
const LAYERS = [
  ["base"],
  ["model"],
  ["contract"],
  ["config"],
  ["oci"],
  ["keys"],
  ["runtime"],
  ["access"],
  ["engine"],
  ["ops"],
  ["jobs"],
  ["lifecycle"],
  ["diagnose", "entrances"],
  ["invocation"],
  ["cli", "func"],
  ["local"],
];
const ROOT_LAYER = { "config.ts": "config", "func.ts": "func", "func-loader.ts": "func" };
const layerOf = (srcRel) => {
  const parts = srcRel.split("/");
  const name = parts.length === 1 ? (ROOT_LAYER[parts[0]] ?? "base") : parts[0];
  const i = LAYERS.findIndex((l) => l.includes(name));
  return i < 0 ? undefined : { name, rank: i };
};

const problems = [];
for (const file of files) {
  const rel = relative(root, file);
  const text = readFileSync(file, "utf8");
  const base = rel.split("/").pop();
  if (!/^[a-z0-9]+(-[a-z0-9]+)*(\.test)?(\.d)?\.ts$/.test(base)) problems.push(`${rel}: file names are kebab-case`);
  if (/^export default /m.test(text)) problems.push(`${rel}: named exports only`);
  if (/\benum\s+[A-Z]/.test(text)) problems.push(`${rel}: use "as const" objects instead of enums`);
  if (/\bit\.skip\(|\bdescribe\.skip\(|\bit\.only\(|\bdescribe\.only\(|\bit\.todo\(/.test(text)) problems.push(`${rel}: no skipped, focused or todo tests`);
  if (rel.startsWith("src/")) {
    const from = layerOf(relative(join(root, "src"), file));
    for (const m of text.matchAll(/^(?:import|export)[^;]*? from "(\.[^"]+)"/gm)) {
      const target = relative(join(root, "src"), join(file, "..", m[1]));
      if (target.startsWith("..")) continue;
      const to = layerOf(target);
      if (from && to && to.rank > from.rank) problems.push(`${rel}: ${from.name}/ may not import ${target} (${to.name}/ is a higher layer)`);
    }
  }
  if (rel.startsWith("src/") && !rel.startsWith("src/local/")) {
    if (/console\.(log|info|debug)\(/.test(text)) problems.push(`${rel}: log through log.ts, not console`);
    if (/ctx\.config(\[|\.[A-Z])/.test(text)) problems.push(`${rel}: ctx.config is all of process.env (credentials included): never read or log it`);
    if (/getConfig\(/.test(text)) problems.push(`${rel}: ctx.getConfig() throws in the FDK`);
    if (/RecordIterator|ResponseIterator|paginateRecords|paginatedRecordsWithLimit/.test(text)) problems.push(`${rel}: the SDK's iterators send query values unencoded: page by hand`);
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`lint: ${files.length} files ok`);
