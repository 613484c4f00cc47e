import { parseArgs } from "node:util";

export interface DemoOptions {
  port: number;
  /** The function's timeout in seconds: the Fn-Deadline of every invocation, gateway calls included. */
  deadline: number;
  /** REENCRYPT_CHECKPOINT_SECONDS: a running shard's lease is 3× this. */
  checkpoint: number;
  /** Skip serving: exit once the walkthrough is done (tests, CI). */
  exit: boolean;
  /** Echo every function log line. */
  verbose: boolean;
  help: boolean;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_DEADLINE_SECONDS = 8;
export const DEFAULT_CHECKPOINT_SECONDS = 1;

export const USAGE = `usage: npm start -- [--port N] [--deadline S] [--checkpoint S] [--exit] [--verbose] [--help]

Runs the function bundle (dist/func.cjs) against a local OCI emulator, walks through a key rotation
(watched through the job's status, with one container SIGKILLed and the job recovered) and a few
HTTP requests, then serves the local API Gateway until Ctrl-C.

  --port N         port of the local gateway on 127.0.0.1 (POST /reencrypt, GET /reencrypt/jobs/{jobId});
                   0 picks a free one. Default ${DEFAULT_PORT}, or the PORT environment variable.
  --deadline S     the function's timeout in seconds, 3 to 300 (OCI: timeout_in_seconds, at most 300).
                   Every invocation gets it as its Fn-Deadline: gateway calls (API Gateway invokes
                   synchronously), events, and the detached shards and continuations. A job stops
                   starting calls before it (a quarter of it, 2 to 15 s, is kept for calls in flight
                   and bookkeeping): requests answer 202 "incomplete" with a resume token, rotations
                   continue themselves. Default ${DEFAULT_DEADLINE_SECONDS}; try --deadline 5 for more rounds, --deadline 300
                   for production's.
  --checkpoint S   REENCRYPT_CHECKPOINT_SECONDS, 1 to 600: how often a running shard saves its
                   progress; its lease is 3 times this, so a killed shard is "stalled" after 3×S
                   and the sweep resumes it. Default ${DEFAULT_CHECKPOINT_SECONDS} (OCI default 30).
  --exit           run the walkthrough, then stop everything and exit: 0 when every check passed,
                   1 otherwise. Prints no curl commands (the gateway is gone).
  --verbose        print every line the function logs (one JSON object per line).
  -h, --help       this text.

While it serves: \`npm run job -- <jobId>\` prints a job's status, summary and report (add --port N
when not ${DEFAULT_PORT}); the walkthrough prints ready-to-paste curl commands.`;

const wholeNumber = (name: string, raw: string, min: number, max: number): number | string => {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < min || n > max) return `invalid ${name} "${raw}": expected a whole number from ${min} to ${max}`;
  return n;
};

/** The options, or a message saying what is wrong with them (its first line names the flag). */
export function readOptions(argv: string[], env: Readonly<Record<string, string | undefined>>): DemoOptions | string {
  let values: {
    port?: string | undefined;
    deadline?: string | undefined;
    checkpoint?: string | undefined;
    exit?: boolean | undefined;
    verbose?: boolean | undefined;
    help?: boolean | undefined;
  };
  const oneLine = "run `npm start -- --help` for every option";
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        deadline: { type: "string" },
        checkpoint: { type: "string" },
        exit: { type: "boolean" },
        verbose: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return `${error instanceof Error ? error.message : String(error)}; ${oneLine}`;
  }
  // An empty PORT (e.g. `PORT= npm start`) means unset, not port "".
  const port = wholeNumber("port", values.port ?? (env["PORT"]?.trim() || undefined) ?? String(DEFAULT_PORT), 0, 65535);
  if (typeof port === "string") return `${port}; ${oneLine}`;
  const deadline = wholeNumber("deadline", values.deadline ?? String(DEFAULT_DEADLINE_SECONDS), 3, 300);
  if (typeof deadline === "string") return `${deadline} (seconds); ${oneLine}`;
  const checkpoint = wholeNumber("checkpoint", values.checkpoint ?? String(DEFAULT_CHECKPOINT_SECONDS), 1, 600);
  if (typeof checkpoint === "string") return `${checkpoint} (seconds); ${oneLine}`;
  return { port, deadline, checkpoint, exit: values.exit === true, verbose: values.verbose === true, help: values.help === true };
}
