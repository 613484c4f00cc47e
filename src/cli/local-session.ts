import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { z } from "zod";
import { usageError } from "./cli-error.js";
import { intArg } from "./job-options.js";

// `--local`: the CLI against the stack `npm start` serves (issue 20 item 4). While it serves, the
// demo writes a session file (src/local/job/session.ts: <tmpdir>/oci-reencrypt-local/<port>.json)
// with its emulator's endpoints, an API key's OCI config file and the function's OCID; the CLI
// reads it here (the CLI may not import src/local/, a higher layer: the file is the interface).

const DEFAULT_PORT = 8080;

const SessionSchema = z.object({
  format: z.literal(1),
  pid: z.number().int(),
  gateway: z.string(),
  objectStorage: z.string(),
  namespace: z.string(),
  stateBucket: z.string(),
  ociConfigFile: z.string(),
  kmsVault: z.string().optional(),
  secrets: z.string().optional(),
  functions: z.string().optional(),
  functionId: z.string().optional(),
});
export type LocalSession = z.infer<typeof SessionSchema>;

export const localSessionFile = (port: number): string => join(tmpdir(), "oci-reencrypt-local", `${port}.json`);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The session of the stack serving on `port`; a usage error when none is (or its file is left by a dead process). */
export function readLocalSession(port: number): LocalSession {
  const file = localSessionFile(port);
  let parsed;
  try {
    parsed = SessionSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success || !alive(parsed.data.pid)) {
    throw usageError(`--local: no local stack is serving on port ${port} (no live ${file}): start one with \`npm start\`${port === DEFAULT_PORT ? "" : ` -- --port ${port}`}, or give --local-port`);
  }
  return parsed.data;
}

/**
 * What --local sets, before the command runs: the emulator's endpoints (REENCRYPT_*_ENDPOINT, as
 * the environment would), the state bucket (never a target), the session's OCI config file
 * (unless --config-file was given) and, for the function's commands, its OCID (unless
 * --function-id or --gateway-url was given).
 */
export function applyLocalSession(program: Command, action: Command, env: NodeJS.ProcessEnv = process.env): void {
  const o = program.opts<{ local?: boolean; localPort?: number }>();
  if (!o.local) return;
  const s = readLocalSession(o.localPort ?? DEFAULT_PORT);
  env["REENCRYPT_OBJECTSTORAGE_ENDPOINT"] = s.objectStorage;
  if (s.kmsVault) env["REENCRYPT_KMS_VAULT_ENDPOINT"] = s.kmsVault;
  if (s.secrets) env["REENCRYPT_SECRETS_ENDPOINT"] = s.secrets;
  if (s.functions) env["REENCRYPT_FUNCTIONS_ENDPOINT"] = s.functions;
  env["REENCRYPT_STATE_BUCKET"] = `${s.namespace}/${s.stateBucket}`;
  if (program.getOptionValueSource("configFile") !== "cli") program.setOptionValueWithSource("configFile", s.ociConfigFile, "config");
  if (program.getOptionValueSource("profile") !== "cli") program.setOptionValueWithSource("profile", "DEFAULT", "config");
  if (program.getOptionValueSource("auth") !== "cli") program.setOptionValueWithSource("auth", "api_key", "config");
  const has = (long: string): boolean => action.options.some((x) => x.long === long);
  if (s.functionId && has("--function-id") && action.getOptionValue("functionId") === undefined && action.getOptionValue("gatewayUrl") === undefined) {
    action.setOptionValueWithSource("functionId", s.functionId, "config");
  }
}

/** --local and --local-port on the program, applied before every command's action. */
export function addLocalOption(program: Command): void {
  program
    .addOption(new Option("--local", "use the local stack `npm start` serves: its emulator's endpoints, an API key for it, its function (see docs/cli.md)"))
    .addOption(new Option("--local-port <port>", "the local stack's gateway port (default 8080)").argParser(intArg(1, 65_535)));
  program.hook("preAction", (_program, action) => applyLocalSession(program, action));
}
