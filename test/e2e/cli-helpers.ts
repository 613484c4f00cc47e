import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEmulator, type Emulator, type IssuedApiKey, type Seed } from "../../src/local/emulator/index.js";

export const CLI = resolve("dist/cli.cjs");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** The built CLI as a process (node dist/cli.cjs), with only the environment given (plus PATH). */
export function startCli(args: string[], o: { env?: Record<string, string | undefined>; cwd?: string } = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: o.cwd ?? process.cwd(),
    env: { PATH: process.env["PATH"], ...o.env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
  const done = new Promise<CliResult>((resolveDone) => child.on("close", (code, signal) => resolveDone({ code, signal, stdout: out, stderr: err })));
  return { child, stdout: () => out, stderr: () => err, done };
}

export const runCli = (args: string[], o: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<CliResult> => startCli(args, o).done;

/** Lines of stderr that are JSON objects with this `event` (progress lines, notes). */
export function jsonLines(text: string, event?: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => event === undefined || r["event"] === event);
}

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An emulator, an operator's API key and config file for it, a scratch directory, and the CLI's environment. */
export interface CliWorld {
  em: Emulator;
  key: IssuedApiKey;
  dir: string;
  /** HOME is the scratch dir (no ~/.oci/config there); the config file comes by OCI_CLI_CONFIG_FILE. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function cliWorld(o: { seed?: Seed; env?: Record<string, string> } = {}): Promise<CliWorld> {
  const em = await startEmulator(o.seed ? { seed: o.seed } : {});
  const dir = mkdtempSync(join(tmpdir(), "cli-e2e-"));
  const key = await em.issueApiKey({ userId: "ocid1.user.oc1..operator" });
  const env = {
    HOME: dir,
    OCI_CLI_CONFIG_FILE: key.configFile,
    REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage,
    REENCRYPT_KMS_VAULT_ENDPOINT: em.endpoints.kmsVault,
    REENCRYPT_SECRETS_ENDPOINT: em.endpoints.secrets,
    REENCRYPT_FUNCTIONS_ENDPOINT: em.endpoints.functions,
    ...o.env,
  };
  return {
    em,
    key,
    dir,
    env,
    close: async () => {
      await em.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
