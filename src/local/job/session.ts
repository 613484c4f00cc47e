import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * What `npm start` leaves for `npm run job` while it serves: where its gateway and emulator listen,
 * and an OCI config file (an API key of the emulator's tenancy) to read the state bucket with, as
 * an operator reads a real one with ~/.oci/config. One file per gateway port.
 */
export interface LocalSession {
  format: 1;
  pid: number;
  /** POST route, e.g. http://127.0.0.1:8080/reencrypt; a job's status is GET `${gateway}/jobs/{jobId}`. */
  gateway: string;
  /** The emulator's Object Storage endpoint. */
  objectStorage: string;
  namespace: string;
  stateBucket: string;
  /** [DEFAULT] profile: user, fingerprint, tenancy, region, key_file. */
  ociConfigFile: string;
  /** The emulator's other endpoints and the function, for `oci-reencrypt --local` (src/cli/local-session.ts reads this file). */
  kmsVault?: string;
  secrets?: string;
  functions?: string;
  functionId?: string;
  startedAt: string;
}

export const sessionDir = (): string => join(tmpdir(), "oci-reencrypt-local");
export const sessionFile = (port: number): string => join(sessionDir(), `${port}.json`);

export function writeSession(port: number, s: LocalSession): string {
  mkdirSync(sessionDir(), { recursive: true, mode: 0o700 });
  const file = sessionFile(port);
  writeFileSync(file, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export function removeSession(port: number, pid: number): void {
  const s = readSession(port);
  if (s && s.pid === pid) rmSync(sessionFile(port), { force: true });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The session of the stack serving on `port`; undefined when none is (a file left by a dead process does not count). */
export function readSession(port: number): LocalSession | undefined {
  let s: LocalSession;
  try {
    s = JSON.parse(readFileSync(sessionFile(port), "utf8")) as LocalSession;
  } catch {
    return undefined;
  }
  if (s.format !== 1 || typeof s.pid !== "number" || !alive(s.pid)) return undefined;
  return s;
}
