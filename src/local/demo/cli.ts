import { parseArgs } from "node:util";

export interface DemoOptions {
  port: number;
  /** Skip serving: exit once the walkthrough is done (tests, CI). */
  exit: boolean;
  /** Echo every function log line. */
  verbose: boolean;
  help: boolean;
}

export const USAGE = "usage: npm start -- [--port N | PORT=N] [--exit] [--verbose]   (--port 0 picks a free port; default 8080)";

/** The options, or a one-line message saying what is wrong with them. */
export function readOptions(argv: string[], env: Readonly<Record<string, string | undefined>>): DemoOptions | string {
  let values: { port?: string | undefined; exit?: boolean | undefined; verbose?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: "string" }, exit: { type: "boolean" }, verbose: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return `${error instanceof Error ? error.message : String(error)}\n${USAGE}`;
  }
  // An empty PORT (e.g. `PORT= npm start`) means unset, not port "".
  const raw = values.port ?? (env["PORT"]?.trim() || undefined) ?? "8080";
  const port = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    return `invalid port "${raw}": expected a whole number from 0 to 65535\n${USAGE}`;
  }
  return { port, exit: values.exit === true, verbose: values.verbose === true, help: values.help === true };
}
