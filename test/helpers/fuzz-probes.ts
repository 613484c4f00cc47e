// Probes shared by the security e2e tests and the fuzz test: what the function changed in the
// emulator, what its process looks like from outside (alive, resident memory), and whether what it
// printed and answered is one JSON object a line and free of key material.

import { readFileSync } from "node:fs";
import type { Emulator } from "../../src/local/emulator/index.js";
import type { LocalStack } from "../../src/local/local-stack.js";

/** Every operation that changes state in OCI (the e2e helpers' list plus ReencryptBucket). */
export const STATE_CHANGING: ReadonlySet<string> = new Set(["ReencryptObject", "PutObject", "DeleteObject", "CreateKeyVersion", "InvokeFunction", "ReencryptBucket"]);

/** State-changing requests the emulator has received so far. */
export const changes = (em: Emulator): number => em.requests.reduce((n, r) => n + (STATE_CHANGING.has(r.operation) ? 1 : 0), 0);

/** The state-changing requests received since index `from` of em.requests (for messages). */
export const changesSince = (em: Emulator, from: number): string[] =>
  em.requests.slice(from).filter((r) => STATE_CHANGING.has(r.operation)).map((r) => `${r.operation} ${r.path}`);

export interface ProcMemory {
  /** Resident set now, KiB. */
  rssKb: number;
  /** Peak resident set of the process's life (VmHWM), KiB. */
  peakKb: number;
}

/** Reads /proc/<pid>/status; undefined when the process is gone (or not on Linux). */
export function procMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  return { rssKb: field("VmRSS"), peakKb: field("VmHWM") };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The one container of a stack started with maxContainers: 1. */
export function onlyContainer(stack: LocalStack): number {
  const live = stack.containers();
  if (live.length !== 1) throw new Error(`expected one container, found ${live.length}`);
  return (live[0] as { pid: number }).pid;
}

/** Lines of `text` that are not one JSON object each (empty trailing line ignored). */
export function nonJsonLines(text: string): string[] {
  const bad: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      bad.push(line.slice(0, 300));
      continue;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) bad.push(line.slice(0, 300));
  }
  return bad;
}

/** The forms a 32-byte key could be printed in: base64, base64url, hex (both cases). */
export function keyForms(base64Key: string): string[] {
  const raw = Buffer.from(base64Key, "base64");
  const hex = raw.toString("hex");
  return [base64Key, raw.toString("base64url"), hex, hex.toUpperCase()];
}

/**
 * A set of keys to look for in large texts without one scan per key: every base64 run of 43+
 * characters and every 64-hex run of the text is looked up in the set.
 */
export class KeyWatch {
  private readonly forms = new Map<string, string>();

  add(base64Key: string): void {
    for (const f of keyForms(base64Key)) this.forms.set(f, base64Key);
  }

  get size(): number {
    return this.forms.size / 4;
  }

  /** The keys (base64) that appear in `text`, in any form. */
  foundIn(text: string): string[] {
    const found = new Set<string>();
    for (const m of text.matchAll(/[A-Za-z0-9+/_-]{43,}={0,2}/g)) {
      const run = m[0];
      // A key may sit inside a longer run: check every 44- (base64), 43- (base64url) and 64-character window.
      for (const len of [44, 43, 64]) {
        for (let i = 0; i + len <= run.length; i++) {
          const hit = this.forms.get(run.slice(i, i + len));
          if (hit) found.add(hit);
        }
      }
    }
    return [...found];
  }
}
