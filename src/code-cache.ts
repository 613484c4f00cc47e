import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Script } from "node:vm";

// V8's code cache for a CommonJS bundle, shared by the image's entry (func-loader.ts) and the CLI's
// (cli-loader.ts). A cache file is "RCC1", the SHA-256 of the bundle it was made from, then V8's
// data: V8 itself only compares the source's length, so a cache of another build of the same
// length must not be handed to it. A missing, unreadable or foreign cache means a plain compile;
// so does one V8 rejects (another Node or V8 version, other flags).

const MAGIC = Buffer.from("RCC1");
const HEADER = MAGIC.length + 32;

function digest(source: Buffer): Buffer {
  return createHash("sha256").update(source).digest();
}

/** V8's data in `cachePath` when it was made from `source`; undefined otherwise. */
export function validCache(source: Buffer, cachePath: string): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(cachePath);
  } catch {
    return undefined;
  }
  if (file.length <= HEADER || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (!file.subarray(MAGIC.length, HEADER).equals(digest(source))) return undefined;
  return file.subarray(HEADER);
}

/** The bundle as a script, with the cache's data when it is given. */
export function compileBundle(bundlePath: string, source: Buffer, cachedData: Buffer | undefined): Script {
  // The CommonJS wrapper, on the first line so that line numbers in stack traces stay those of the
  // bundle. The bundle is ASCII (esbuild escapes the rest; the build checks): latin1 is a plain copy.
  const code = `(function (exports, require, module, __filename, __dirname) { ${source.toString("latin1")}\n})`;
  return new Script(code, { filename: bundlePath, ...(cachedData ? { cachedData } : {}) });
}

/** Runs the compiled bundle as its module, with `req` as its require (the bundle's side files resolve beside it). */
export function runBundle(script: Script, bundlePath: string, req: NodeRequire): void {
  const fn = script.runInThisContext() as (e: unknown, r: NodeRequire, m: { exports: unknown }, f: string, d: string) => void;
  const mod = { exports: {} as unknown, filename: bundlePath, id: bundlePath, loaded: false };
  fn.call(mod.exports, mod.exports, req, mod, bundlePath, dirname(bundlePath));
  mod.loaded = true;
}

/** Writes what V8 compiled of `script` so far, atomically; its size in bytes. */
export function writeCache(script: Script, source: Buffer, cachePath: string): number {
  const data = script.createCachedData();
  const tmp = `${cachePath}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat([MAGIC, digest(source), data]));
  renameSync(tmp, cachePath);
  return data.length + HEADER;
}
