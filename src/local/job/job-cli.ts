import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import * as common from "oci-common";
import { ObjectStorageClient } from "oci-objectstorage";
import { DEFAULT_PORT } from "../demo/cli.js";
import { describeJob, httpJson, isJobView, progressLine, type JobView } from "../demo/job-view.js";
import { readSession, sessionFile, type LocalSession } from "./session.js";

// `npm run job -- <jobId>`: a job's status (GET /reencrypt/jobs/{jobId} through the local gateway,
// as a caller with the read scope asks it), its summary and its report (read from the state bucket
// with an API key of the emulator's tenancy, as an operator reads a real one). The local stack of
// `npm start` must be serving.

export const JOB_USAGE = `usage: npm run job -- <jobId> [--port N] [--watch] [--report] [--json] [--help]

Reads a job of the local stack that \`npm start\` serves:
  status   GET /reencrypt/jobs/<jobId> through the local gateway (the route a caller with the
           status scope uses in OCI)
  summary  reports/<jobId>.summary.json in the state bucket, once the job has ended
  report   every reports/<jobId>*.jsonl part the job wrote, one JSON line per object version

  --port N    the gateway's port, as given to npm start (default ${DEFAULT_PORT}, or the PORT environment variable)
  --watch     print the status every second until the job ends, then the summary
  --report    print the report's lines (JSON Lines) instead of the status, for jq or grep
  --json      print the status record and the summary as one JSON object
  -h, --help  this text

Exit status: 0 the job was found (whatever its status), 1 no such job or no local stack, 2 bad arguments.

In OCI the same reads are: curl -H "Authorization: Bearer $TOKEN" <api_status_url with the jobId>, and
oci os object get --bucket-name <state bucket> --name reports/<jobId>.summary.json --file -`;

export interface JobCliIo {
  out(line: string): void;
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

interface Options {
  jobId: string;
  port: number;
  watch: boolean;
  report: boolean;
  json: boolean;
}

const PARSE = {
  options: { port: { type: "string" }, watch: { type: "boolean" }, report: { type: "boolean" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  allowPositionals: true,
  strict: true,
} as const;

function options(argv: string[], env: JobCliIo["env"]): Options | { help: true } | string {
  let parsed: ReturnType<typeof parseArgs<typeof PARSE>>;
  try {
    parsed = parseArgs({ ...PARSE, args: argv });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  if (parsed.positionals.length !== 1) return parsed.positionals.length === 0 ? "give the job id: npm run job -- <jobId>" : `one job id at a time, got ${parsed.positionals.length}`;
  const jobId = parsed.positionals[0] as string;
  if (!/^[A-Za-z0-9-]{8,64}$/.test(jobId)) return `"${jobId}" is not a job id (the jobId of an answer, e.g. 4712c600-c9c8-4e02-97c9-5932a6747207)`;
  const rawPort = v.port ?? (env["PORT"]?.trim() || String(DEFAULT_PORT));
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `invalid port "${rawPort}": expected 1 to 65535`;
  if (v.report === true && (v.watch === true || v.json === true)) return "--report prints only the report's lines: use it without --watch and --json";
  return { jobId, port, watch: v.watch === true, report: v.report === true, json: v.json === true };
}

/** `/n/ns/b/bucket/o/name` → its parts. */
function objectPath(path: string): { namespace: string; bucket: string; object: string } | undefined {
  const m = /^\/n\/([^/]+)\/b\/([^/]+)\/o\/(.+)$/.exec(path);
  if (!m) return undefined;
  const d = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { namespace: d(m[1] as string), bucket: d(m[2] as string), object: d(m[3] as string) };
}

/** Signed reads of the state bucket with the session's OCI config file (an API key). */
function stateReader(s: LocalSession): (path: string) => Promise<string | undefined> {
  common.CircuitBreaker.EnableGlobalCircuitBreaker = false;
  const provider = new common.ConfigFileAuthenticationDetailsProvider(s.ociConfigFile, "DEFAULT");
  const client = new ObjectStorageClient({ authenticationDetailsProvider: provider }, { retryConfiguration: common.NoRetryConfigurationDetails });
  client.endpoint = s.objectStorage;
  return async (path) => {
    const p = objectPath(path);
    if (!p) throw new Error(`not an object path: ${path}`);
    try {
      const r = await client.getObject({ namespaceName: p.namespace, bucketName: p.bucket, objectName: p.object });
      const chunks: Buffer[] = [];
      for await (const c of r.value as Readable) chunks.push(Buffer.from(c as Uint8Array));
      return Buffer.concat(chunks).toString("utf8");
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function status(s: LocalSession, jobId: string): Promise<{ view: JobView } | { error: string }> {
  const url = `${s.gateway}/jobs/${encodeURIComponent(jobId)}`;
  let r;
  try {
    r = await httpJson(url);
  } catch (error) {
    return { error: `GET ${url} failed: ${error instanceof Error ? error.message : String(error)} (is npm start still serving?)` };
  }
  if (r.status === 200 && isJobView(r.data)) return { view: r.data };
  const e = (r.data?.["error"] ?? {}) as { code?: string; message?: string };
  return { error: `GET ${url} → HTTP ${r.status} ${e.code ?? ""}${e.message ? `: ${e.message}` : ` ${r.text.slice(0, 200)}`}`.trim() };
}

/** Runs the command; resolves with the exit status. */
export async function runJobCli(argv: string[], io: JobCliIo): Promise<number> {
  const o = options(argv, io.env);
  if (typeof o === "string") {
    io.err(`${o}\n${JOB_USAGE.split("\n")[0] as string}`);
    return 2;
  }
  if ("help" in o) {
    io.out(JOB_USAGE);
    return 0;
  }
  const session = readSession(o.port);
  if (!session) {
    io.err(`no local stack is serving on port ${o.port}: start one with \`npm start${o.port === DEFAULT_PORT ? "" : ` -- --port ${o.port}`}\` (it writes ${sessionFile(o.port)} while it serves)`);
    return 1;
  }
  const read = stateReader(session);

  let s = await status(session, o.jobId);
  if ("error" in s) {
    io.err(s.error);
    return 1;
  }
  if (o.report) {
    for (const path of s.view.reports) {
      const text = await read(path);
      if (text === undefined) {
        io.err(`report part ${path} is not in the state bucket`);
        return 1;
      }
      for (const line of text.split("\n")) if (line.trim() !== "") io.out(line);
    }
    return 0;
  }
  if (o.watch) {
    while (s.view.status === "running" || s.view.status === "stalled") {
      io.out(`${new Date().toISOString().slice(11, 19)}  ${progressLine(s.view)}`);
      await sleep(1_000);
      const next = await status(session, o.jobId);
      if ("error" in next) {
        io.err(next.error);
        return 1;
      }
      s = next;
    }
  }
  const summaryText = s.view.summary ? await read(s.view.summary) : undefined;
  let summary: unknown;
  try {
    summary = summaryText === undefined ? undefined : JSON.parse(summaryText);
  } catch {
    summary = summaryText;
  }
  if (o.json) {
    io.out(JSON.stringify({ status: s.view, summary: summary ?? null }, null, 2));
    return 0;
  }
  for (const line of describeJob(s.view)) io.out(line);
  if (summary !== undefined) {
    io.out("");
    io.out(`${s.view.summary}:`);
    io.out(JSON.stringify(summary, null, 2));
  } else if (s.view.status === "running" || s.view.status === "stalled" || s.view.status === "incomplete") {
    io.out("");
    io.out(`no summary yet: it is written when the job ends (npm run job -- ${o.jobId} --watch${o.port === DEFAULT_PORT ? "" : ` --port ${o.port}`} waits for it)`);
  }
  return 0;
}
