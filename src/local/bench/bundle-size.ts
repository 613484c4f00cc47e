import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface BundleSize {
  bytes: number;
  gzipBytes: number;
}

export function bundleSize(path: string): BundleSize {
  const data = readFileSync(path);
  return { bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
}

export interface TreeSize {
  bytes: number;
  files: number;
  packages: number;
}

/**
 * What `npm ci --omit=dev` would install: the lockfile's packages not marked dev, each counted
 * without its own nested node_modules (those are separate lockfile entries).
 */
export function productionNodeModules(root: string): TreeSize | undefined {
  let lock: { packages?: Record<string, { dev?: boolean }> };
  try {
    lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as typeof lock;
  } catch {
    return undefined;
  }
  const total: TreeSize = { bytes: 0, files: 0, packages: 0 };
  for (const [path, meta] of Object.entries(lock.packages ?? {})) {
    if (path === "" || meta.dev === true) continue;
    const dir = join(root, path);
    try {
      if (!statSync(dir).isDirectory()) continue;
    } catch {
      continue;
    }
    total.packages++;
    walk(dir, total);
  }
  return total;
}

function walk(dir: string, acc: TreeSize): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (e.name !== "node_modules") walk(join(dir, e.name), acc);
    } else if (e.isFile()) {
      acc.files++;
      acc.bytes += statSync(join(dir, e.name)).size;
    }
  }
}
