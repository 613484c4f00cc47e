// `npm start`: the whole product on one machine. The local OCI emulator plays Object Storage, Vault,
// Secrets, Functions and Events; the real bundle runs behind the real FDK socket in a pool of
// containers; a key rotation (watched through its job's status, one container SIGKILLed and the
// job recovered) and HTTP requests (one long enough to be resumed) show what it does, checked
// against the emulator's ground truth. Then the local API Gateway serves until Ctrl-C.

import { randomUUID } from "node:crypto";
import { DEMO_COMPARTMENT, DEMO_LONG_BUCKET, DEMO_LONG_BUCKET_OBJECTS, DEMO_STATE_BUCKET, HOSTILE_NAMES, demoSeed } from "./demo-seed.js";
import { DEFAULT_PORT, readOptions, USAGE, type DemoOptions } from "./demo/cli.js";
import { lineSplitter, type LogRecord } from "./demo/function-log.js";
import { httpJson, isJobView, progressLine, type HttpAnswer, type JobView } from "./demo/job-view.js";
import { columnOf, renderWrappingTable } from "./demo/wrapping-table.js";
import { lifecycleSection } from "./demo/lifecycle-section.js";
import { renderOpsSection } from "./demo/ops-section.js";
import { explainSkipped } from "./demo/skipped.js";
import { startEmulator, wrappingLabel, type Emulator } from "./emulator/index.js";
import { startHttpGateway, type HttpGateway } from "./fn/http-gateway.js";
import { removeSession, writeSession } from "./job/session.js";
import { InvocationFailedError, startLocalStack, type LocalStack } from "./local-stack.js";
import { deadlinesFor } from "../runtime/deadline.js";
import { cloudEvent } from "./cloud-event.js";

/**
 * Added to every emulated request. With REENCRYPT_CONCURRENCY it caps an invocation's throughput
 * at CONCURRENCY / latency (8 / 25 ms = 320 versions/s), so the long request always needs more than
 * one call (3,000 objects; at most 320 × 6 s = 1,920 per call at the default 8 s deadline).
 */
const REGION_LATENCY_MS = 25;
const CONCURRENCY = 8;
const MAX_PER_SECOND = (CONCURRENCY * 1000) / REGION_LATENCY_MS;
/** The rotation's shards, at most, at once (REENCRYPT_MAX_PARALLEL). */
const MAX_PARALLEL = 4;
const STATUS_POLL_MS = 1_000;
const ROTATION_LIMIT_MS = 180_000;

const started = Date.now();
/** The status route as a template: `{jobId}` printed as the reader replaces it, not %-encoded as a real id would be. */
const statusRoute = (gateway: HttpGateway): string => `${gateway.url}/jobs/{jobId}`;
const out = (line = ""): void => void process.stdout.write(`${line}\n`);
const n = (x: number): string => x.toLocaleString("en-US");
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

interface Running {
  gateway?: HttpGateway;
  stack?: LocalStack;
  emulator?: Emulator;
  sessionPort?: number;
}

/** Stops whatever was started, in reverse order; safe to call twice. */
function makeCleanup(r: Running): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () =>
    (done ??= (async () => {
      if (r.sessionPort !== undefined) removeSession(r.sessionPort, process.pid);
      await r.gateway?.close().catch(() => undefined);
      await r.stack?.stop().catch(() => undefined);
      await r.emulator?.close().catch(() => undefined);
    })());
}

async function main(): Promise<number | "serving"> {
  const opts = readOptions(process.argv.slice(2), process.env);
  if (typeof opts === "string") {
    process.stderr.write(`${opts}\n`);
    return 1;
  }
  if (opts.help) {
    out(USAGE);
    return 0;
  }

  const running: Running = {};
  const cleanup = makeCleanup(running);
  const shutdown = (signal: string): void => {
    out(`\n${signal}: stopping the gateway, the function and the emulator…`);
    void cleanup().then(() => process.exit(0));
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));

  // The port first: if it is taken, say so before spending half a minute on the walkthrough.
  try {
    running.gateway = await startHttpGateway({
      port: opts.port,
      // API Gateway invokes the function synchronously: each call gets the function's timeout.
      deadlineSeconds: opts.deadline,
      invoke: async (req) => {
        const stack = running.stack;
        if (!stack) throw new Error("the function is still starting");
        return stack.fn.invoke(req);
      },
    });
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n`);
    return 1;
  }

  try {
    const result = await walkthrough(running, running.gateway, opts);
    if (opts.exit) {
      out();
      out("--exit: the walkthrough is over and the gateway is closed (run `npm start` without --exit to keep it serving).");
      await cleanup();
      return result.ok ? 0 : 1;
    }
    await serve(running, running.gateway, opts, result);
    out();
    out(`Serving: POST ${running.gateway.url}  ·  GET ${statusRoute(running.gateway)}  (ready in ${secs(Date.now() - started)}; Ctrl-C to stop)`);
    return "serving";
  } catch (error) {
    process.stderr.write(`demo failed: ${errorMessage(error)}\n`);
    if (process.env["DEMO_DEBUG"]) process.stderr.write(`${error instanceof Error ? (error.stack ?? "") : ""}\n`);
    await cleanup();
    return 1;
  }
}

interface WalkthroughResult {
  ok: boolean;
  rotationJobId: string;
  financeKey: string;
  secretId: string;
}

async function walkthrough(running: Running, gateway: HttpGateway, opts: DemoOptions): Promise<WalkthroughResult> {
  out("oci-reencrypt: local demo");
  out("  Everything here runs on this machine. A local OCI emulator stands in for Object Storage, Vault (KMS),");
  out("  Secrets, Functions, Events, Notifications and Monitoring; the real function bundle (dist/func.cjs)");
  out("  runs behind the real Fn FDK socket, one container per invocation as OCI Functions runs it, and signs");
  out("  every request with a resource principal. Nothing leaves the machine and no OCI account or");
  out("  credentials are involved.");
  out();

  const emulator = await startEmulator({ seed: demoSeed() });
  running.emulator = emulator;
  const ids = emulator.seedIds;
  const state = emulator.state;
  const need = (map: Record<string, string>, name: string): string => {
    const id = map[name];
    if (id === undefined) throw new Error(`the demo seed has no '${name}'`);
    return id;
  };
  const compartmentId = need(ids.compartments, DEMO_COMPARTMENT);
  const financeKey = need(ids.keys, "finance-key");
  const vaultId = need(ids.vaults, "demo-vault");
  const secretId = need(ids.secrets, "customer-key");
  const topic = emulator.notifications.createTopic({ name: "reencrypt-ops", compartmentId });

  const stack = await startLocalStack({
    emulator,
    compartmentId,
    timeoutSeconds: opts.deadline,
    detachedTimeoutSeconds: opts.deadline,
    config: {
      REENCRYPT_STATE_BUCKET: DEMO_STATE_BUCKET,
      REENCRYPT_RULES: JSON.stringify([{ bucket: "public", prefix: "keep/", kmsKeyId: financeKey }]),
      // Requests may name the customer key's secret as their target key (rule keys are allowed anyway).
      REENCRYPT_ALLOWED_KEYS: secretId,
      REENCRYPT_CHECKPOINT_SECONDS: String(opts.checkpoint),
      REENCRYPT_MAX_PARALLEL: String(MAX_PARALLEL),
      REENCRYPT_CONCURRENCY: String(CONCURRENCY),
      REENCRYPT_NOTIFY_TOPIC: topic.id,
    },
    onOutput: lineSplitter((stream, line, record) => functionLine(opts.verbose, stream, line, record)),
  });
  running.stack = stack;
  emulator.faults.setBaseLatency(REGION_LATENCY_MS);

  out(`  namespace    ${state.namespace}`);
  out(`  compartment  ${compartmentId}  (buckets, vault and function all live here)`);
  out(`  function     ${stack.functionId}`);
  out(`               timeout ${opts.deadline} s (--deadline), checkpoint every ${opts.checkpoint} s (--checkpoint), up to ${MAX_PARALLEL} shards per job, ${CONCURRENCY} calls in flight each`);
  out(`  emulator     ${emulator.url}  (+${REGION_LATENCY_MS} ms per request, like a region's round trip)`);
  out(`  gateway      ${gateway.url}  (and GET ${statusRoute(gateway)})`);
  out();

  out("BEFORE: object versions per bucket, by the key version that wraps their data key (emulator ground truth)");
  out(renderWrappingTable(state));
  out();

  // --- A key rotation, watched through its job's status ---------------------------------------
  const before = snapshot(emulator);
  const inScope = [...before.values()].filter((v) => v.kmsKeyId === financeKey).length;
  const newVersion = state.rotateKey(financeKey);
  out(`Rotating finance-key: Vault now encrypts with finance-key v${state.key(financeKey)?.versions.length ?? "?"} (${newVersion.id}).`);
  out("Delivering the event OCI Events sends for it (com.oraclecloud.keymanagementservice.createkeyversion.end):");
  const event = cloudEvent("com.oraclecloud.keymanagementservice.createkeyversion.end", "KeyManagementService", {
    compartmentId,
    resourceId: financeKey,
    resourceName: "finance-key",
    additionalDetails: { keyId: financeKey, vaultId, keyVersionId: newVersion.id },
  });
  // OCI keeps containers of a busy function warm: start a few, so the status queries below do not
  // wait for a cold start on a machine whose cores the shards keep busy.
  // (A generous deadline: cold starts are slow on a loaded machine, and these calls do nothing.)
  const warmDeadline = new Date(Date.now() + 120_000);
  await Promise.all(Array.from({ length: MAX_PARALLEL + 2 }, () => stack.invoke({ job: randomUUID() }, { deadline: warmDeadline })));
  const rotationStarted = Date.now();
  let first = await answered(stack.invoke(event, { intent: "cloudevent" }));
  for (let attempt = 2; !first && attempt <= 3; attempt++) {
    out(`  (no answer before the ${opts.deadline} s deadline on this busy machine: delivering it again, as OCI Events redelivers)`);
    first = await answered(stack.invoke(event, { intent: "cloudevent" }));
  }
  if (!first) throw new Error("the rotation event got no answer in three deliveries");
  const jobId = typeof first.data?.jobId === "string" ? (first.data.jobId as string) : "";
  if (!jobId) throw new Error(`the rotation event was answered HTTP ${first.httpStatus} without a job: ${first.body.slice(0, 300)}`);
  out(`  answered HTTP ${first.httpStatus} ${String(first.data?.status)} after ${secs(Date.now() - rotationStarted)}: job ${jobId}`);
  out(`  (its ${n(inScope)} finance-key versions run as shards, detached invocations of the function; each continues itself before its ${opts.deadline} s deadline)`);
  out(`Its status, as GET ${gateway.statusUrl(jobId)} answers it, every second:`);
  const watched = await watchRotation(stack, gateway, jobId, inScope, rotationStarted, opts);
  const record = watched.record;
  out(
    `Job ${record.status}: ${n(record.invocations)} invocations (1 event + ${n(record.invocations - 1)} detached: shards, their continuations${watched.sweeps > 0 ? ", the sweep's resumption" : ""}), ${secs(Date.now() - rotationStarted)}.`,
  );
  out();

  out("AFTER");
  out(renderWrappingTable(state));
  const check = compare(before, snapshot(emulator), financeKey, newVersion.id);
  const newLabel = columnOf(state, { kind: "kms", kmsKeyId: financeKey, keyVersionId: newVersion.id });
  const rotationOk = record.status === "succeeded" && check.moved === inScope && check.changedOthers === 0 && record.counts.reencrypted === inScope;
  out(
    rotationOk
      ? `  ✓ all ${n(inScope)} finance-key versions are on ${newLabel} (invoices, archive, and public/keep/ through the rule); the other ${n(check.others)} versions are untouched.`
      : `  ✗ ${n(check.moved)} of ${n(inScope)} finance-key versions moved to ${newLabel}; ${n(check.changedOthers)} other versions changed; job ${record.status}.`,
  );
  out(
    `  The record counts each version once (${n(record.counts.reencrypted)} re-encrypted); ${n(check.twice)} were re-encrypted twice: calls in flight, or not yet checkpointed, when the container died.`,
  );
  // The summary is written just after the record's final status (the status is what must not be
  // lost): on a loaded machine the watcher can see the status first, so wait for it a while.
  let summary = readSummary(emulator, jobId);
  for (let i = 0; !summary && i < 100; i++) {
    await sleep(100);
    summary = readSummary(emulator, jobId);
  }
  if (summary) {
    out(`  Its summary, reports/${jobId}.summary.json in the state bucket: ${summary.line}`);
    const why = explainSkipped(emulator, DEMO_STATE_BUCKET, summary.parts);
    if (why.length > 0) out(`  Skipped without a call: ${why.join("; ")}.`);
  }
  out();

  const httpOk = await httpExamples(gateway, emulator, financeKey, opts);
  const lifecycleOk = await lifecycleSection(stack, emulator, { finance: financeKey, logs: need(ids.keys, "logs-key") }, out);
  out(renderOpsSection(emulator, topic.id, "reencrypt"));
  out();
  return { ok: rotationOk && httpOk && lifecycleOk, rotationJobId: jobId, financeKey, secretId };
}

/** Function log lines: all of them with --verbose, else only warnings and errors. */
function functionLine(verbose: boolean, stream: "stdout" | "stderr", line: string, record: LogRecord | undefined): void {
  if (verbose) out(`  │ ${line}`);
  else if (stream === "stderr" || (record && (record.level === "warn" || record.level === "error"))) {
    out(`  function ${record?.level ?? stream}: ${record?.msg ?? line}${record?.["error"] ? ` (${String(record["error"])})` : ""}`);
  }
}

/**
 * Polls the job's status through the gateway until it ends. Once shards are running, SIGKILLs one
 * busy container; when the status says "stalled" (the dead shard's lease expired), sends
 * {"sweep": true} as the scheduled sweep would.
 */
async function watchRotation(
  stack: LocalStack,
  gateway: HttpGateway,
  jobId: string,
  total: number,
  since: number,
  opts: DemoOptions,
): Promise<{ record: JobView; sweeps: number }> {
  let killed = false;
  let sweeps = 0;
  let lastSweep = 0;
  const at = (): string => `+${secs(Date.now() - since)}`.padStart(8);
  for (;;) {
    await sleep(STATUS_POLL_MS);
    if (Date.now() - since > ROTATION_LIMIT_MS) throw new Error(`the rotation job ${jobId} did not end within ${ROTATION_LIMIT_MS / 1000} s`);
    const s = await httpJson(gateway.statusUrl(jobId));
    if (s.status !== 200 || !isJobView(s.data)) {
      out(`  ${at()}  status answered HTTP ${s.status}: ${s.text.slice(0, 200)}`);
      continue;
    }
    const v = s.data;
    out(`  ${at()}  ${progressLine(v, total)}`);
    if (v.status !== "running" && v.status !== "stalled") {
      if (!killed) out("           (the shards ended before a busy one could be killed)");
      return { record: v, sweeps };
    }
    if (!killed && v.counts.reencrypted > 0 && v.shards.running > 0) {
      // A shard runs as a detached invocation: the gateway's and the demo's own calls are direct.
      const pid = await stack.killRandomBusy((c) => c.source === "detached");
      if (pid !== undefined) {
        killed = true;
        out(`  ${at()}  ✗ SIGKILL container ${pid}, busy with a shard: it dies mid-call, as an out-of-memory kill or a recycled host would end it; its shard is "stalled" once its lease (3 × ${opts.checkpoint} s) expires`);
      }
    }
    if (v.status === "stalled" && Date.now() - lastSweep > 3 * STATUS_POLL_MS) {
      lastSweep = Date.now();
      sweeps++;
      const r = await answered(stack.invoke({ sweep: true }));
      if (!r) {
        out(`  ${at()}  → {"sweep": true} got no answer before its deadline on this busy machine; the next one retries`);
        continue;
      }
      const resumed = Array.isArray(r.data?.resumed) ? (r.data.resumed as string[]) : [];
      out(`  ${at()}  → {"sweep": true}, as the scheduled sweep sends it (OCI Resource Scheduler, every 10 min): resumed ${resumed.length > 0 ? resumed.join(", ") : "nothing yet"}`);
    }
  }
}

/** The answer, or undefined when the container did not answer before the deadline (a busy machine). */
async function answered<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (error) {
    if (error instanceof InvocationFailedError) return undefined;
    throw error;
  }
}

interface VersionFact {
  label: string;
  kmsKeyId: string | undefined;
  reencryptCount: number;
}

function snapshot(em: Emulator): Map<string, VersionFact> {
  const out = new Map<string, VersionFact>();
  for (const v of em.state.objectVersions()) {
    if (v.isDeleteMarker) continue;
    out.set(`${v.bucket}\0${v.name}\0${v.versionId}`, {
      label: wrappingLabel(v.wrapping),
      kmsKeyId: v.wrapping.kind === "kms" ? v.wrapping.kmsKeyId : undefined,
      reencryptCount: v.reencryptCount,
    });
  }
  return out;
}

function compare(before: Map<string, VersionFact>, after: Map<string, VersionFact>, keyId: string, versionId: string) {
  let moved = 0;
  let others = 0;
  let changedOthers = 0;
  let twice = 0;
  for (const [k, b] of before) {
    const a = after.get(k);
    if (b.kmsKeyId === keyId) {
      if (a?.label === `kms:${versionId}`) moved++;
      if (a && a.reencryptCount - b.reencryptCount > 1) twice++;
    } else {
      others++;
      if (a?.label !== b.label || a.reencryptCount !== b.reencryptCount) changedOthers++;
    }
  }
  return { moved, others, changedOthers, twice };
}

/** The job's summary object, straight from the emulator's state bucket, on one line; and its report parts. */
function readSummary(em: Emulator, jobId: string): { line: string; parts: string[] } | undefined {
  const v = em.state.findVersion(DEMO_STATE_BUCKET, `reports/${jobId}.summary.json`);
  if (!v || v.isDeleteMarker) return undefined;
  try {
    const s = JSON.parse(v.content.toString("utf8")) as { status?: string; counts?: Record<string, number>; durationSeconds?: number; invocations?: number; shards?: number; parts?: string[] };
    const line = JSON.stringify({ status: s.status, counts: s.counts, durationSeconds: s.durationSeconds, invocations: s.invocations, shards: s.shards, parts: s.parts?.length });
    return { line, parts: s.parts ?? [] };
  } catch {
    return undefined;
  }
}

function summaryLines(r: HttpAnswer): string[] {
  const d = r.data ?? {};
  const c = (d["counts"] ?? {}) as { matched?: number; reencrypted?: number; failed?: number; skipped?: number };
  const what = d["status"] === "dry-run" ? `${n(c.matched ?? 0)} matched, nothing changed` : `${n(c.reencrypted ?? 0)} re-encrypted, ${n(c.failed ?? 0)} failed`;
  const lines = [`→  HTTP ${r.status}  ${String(d["status"] ?? "?")}  ${what}`];
  const listed = Array.isArray(d["objects"]) ? (d["objects"] as { object: string }[]) : [];
  if (listed.length > 0) lines.push(`   first: ${listed.slice(0, 3).map((o) => o.object).join(", ")}, …`);
  if (typeof d["report"] === "string") lines.push(`   report ${d["report"]}`);
  return lines;
}

/** Versions one call can re-encrypt here at most: the throughput cap over the time before the function stops starting calls. */
const perCall = (deadlineSeconds: number): number => Math.round((MAX_PER_SECOND * deadlinesFor(new Date(deadlineSeconds * 1000), 0).stopAt) / 1000);

const short = (token: string): string => (token.length > 24 ? `${token.slice(0, 21)}…` : token);

async function httpExamples(gateway: HttpGateway, em: Emulator, financeKey: string, opts: DemoOptions): Promise<boolean> {
  out(`HTTP, as API Gateway calls the function (synchronously: each call has the function's ${opts.deadline} s): POST ${gateway.url}`);
  const dry = { targets: [{ bucket: "app-logs", prefix: "2025/" }], dryRun: true };
  out(`  dry run      ${JSON.stringify(dry)}`);
  const dryAnswer = await httpJson(gateway.url, { body: dry });
  for (const line of summaryLines(dryAnswer)) out(`               ${line}`);

  // Which key governs a version (contract §11): a bulk request re-encrypts only what its key
  // governs, so moving a prefix that the bucket's own key governs to another key is left alone;
  // a single object does what it names.
  const prefix = "2025/01/00000";
  const bulk = { targets: [{ bucket: "app-logs", prefix }], key: { type: "kms", kmsKeyId: financeKey } };
  out(`  re-encrypt   ${JSON.stringify(bulk)}`);
  const bulkAnswer = await httpJson(gateway.url, { body: bulk });
  for (const line of summaryLines(bulkAnswer)) out(`               ${line}`);
  const left = ((bulkAnswer.data?.["leftAlone"] ?? []) as { bucket: string; prefix: string; governedBy: { bucketKey?: string | null; rule?: number } }[])[0];
  if (left) out(`                  left alone: ${left.bucket}/${left.prefix}* is governed by ${"bucketKey" in left.governedBy ? "the bucket's own key (logs-key)" : `rule ${left.governedBy.rule}`}, not finance-key: no bulk job moves a scope off its key`);
  const object = `${prefix}1`;
  const one = { targets: [{ bucket: "app-logs", object }], key: { type: "kms", kmsKeyId: financeKey } };
  out(`  one object   ${JSON.stringify(one)}`);
  const oneAnswer = await httpJson(gateway.url, { body: one });
  for (const line of summaryLines(oneAnswer)) out(`               ${line}`);
  const versions = em.state.objectVersions("app-logs", prefix).filter((v) => !v.isDeleteMarker);
  const tally = new Map<string, number>();
  for (const v of versions) tally.set(columnOf(em.state, v.wrapping), (tally.get(columnOf(em.state, v.wrapping)) ?? 0) + 1);
  out(`                  app-logs/${prefix}*: ${[...tally].map(([k, c]) => `${n(c)} on ${k}`).join(", ")} (emulator ground truth)`);

  // A request too long for one call: answered 202 "incomplete" with a resume token, its status
  // readable while it waits, resumed by its caller until it is done.
  const long = { targets: [{ bucket: DEMO_LONG_BUCKET }] };
  out(`  a long job   ${JSON.stringify(long)}  (${n(DEMO_LONG_BUCKET_OBJECTS)} objects; at most ~${n(perCall(opts.deadline))} fit in one ${opts.deadline} s call here)`);
  let request = "POST the request";
  let answer = await httpJson(gateway.url, { body: long });
  let round = 1;
  let longOk = false;
  for (;;) {
    const d = answer.data ?? {};
    const c = (d["counts"] ?? {}) as { reencrypted?: number };
    const token = typeof d["resume"] === "string" ? d["resume"] : undefined;
    out(`    call ${round}  ${request.padEnd(36)} →  HTTP ${answer.status}  ${String(d["status"] ?? "?")}  ${n(c.reencrypted ?? 0)} of ${n(DEMO_LONG_BUCKET_OBJECTS)} re-encrypted${token ? `; resume token ${short(token)}` : ""}`);
    if (d["status"] !== "incomplete" || !token) {
      longOk = d["status"] === "succeeded" && c.reencrypted === DEMO_LONG_BUCKET_OBJECTS;
      break;
    }
    if (round === 1 && typeof d["jobId"] === "string") {
      const s = await httpJson(gateway.statusUrl(d["jobId"]));
      const v = isJobView(s.data) ? s.data : undefined;
      out(`            ${"GET its status".padEnd(36)} →  HTTP ${s.status}  ${v ? progressLine(v, DEMO_LONG_BUCKET_OBJECTS) : s.text.slice(0, 200)}`);
    }
    if (++round > 100) break;
    request = `POST {"resume": "${short(token)}"}`;
    answer = await httpJson(gateway.url, { body: { resume: token } });
  }
  const media = em.state.objectVersions(DEMO_LONG_BUCKET).filter((v) => !v.isDeleteMarker);
  const untouched = media.filter((v) => v.reencryptCount === 0).length;
  out(
    longOk && untouched === 0
      ? `  ✓ ${n(media.length)} media objects re-encrypted in ${round} call${round === 1 ? "" : "s"}, none skipped (emulator ground truth)`
      : `  ✗ the long job ended ${String(answer.data?.["status"])} after ${round} calls; ${n(untouched)} media objects were not re-encrypted`,
  );
  out();
  return dryAnswer.status === 200 && bulkAnswer.status === 200 && oneAnswer.status === 200 && longOk && untouched === 0;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Ready-to-paste commands against the gateway that stays up, and the session file `npm run job` reads. */
async function serve(running: Running, gateway: HttpGateway, opts: DemoOptions, w: WalkthroughResult): Promise<void> {
  const stack = running.stack as LocalStack;
  const em = running.emulator as Emulator;
  const apiKey = await em.issueApiKey();
  writeSession(gateway.port, {
    format: 1,
    pid: process.pid,
    gateway: gateway.url,
    objectStorage: em.endpoints.objectStorage,
    namespace: em.state.namespace,
    stateBucket: DEMO_STATE_BUCKET,
    ociConfigFile: apiKey.configFile,
    kmsVault: em.endpoints.kmsVault,
    secrets: em.endpoints.secrets,
    functions: em.endpoints.functions,
    functionId: stack.functionId,
    startedAt: new Date().toISOString(),
  });
  running.sessionPort = gateway.port;

  // A real token: the same job `fn invoke` would start, given a deadline that runs out mid-way
  // (longer on a machine too busy to answer in 1.5 s).
  let cut: Awaited<ReturnType<LocalStack["invoke"]>> | undefined;
  let cutSeconds = 1.5;
  for (; cutSeconds <= 6 && typeof cut?.data?.resume !== "string"; cutSeconds *= 2) {
    cut = await answered(stack.invoke({ targets: [{ bucket: "archive" }] }, { deadline: new Date(Date.now() + cutSeconds * 1000) }));
  }
  const token = typeof cut?.data?.resume === "string" ? (cut.data.resume as string) : undefined;
  const cutJob = typeof cut?.data?.jobId === "string" ? (cut.data.jobId as string) : undefined;

  const post = (body: unknown): string => `  curl -sS -X POST ${gateway.url} -H 'Content-Type: application/json' \\\n    -d ${shellQuote(JSON.stringify(body))}`;
  const portArg = gateway.port === DEFAULT_PORT ? "" : ` --port ${gateway.port}`;
  out("Try it (the gateway stays up until Ctrl-C):");
  out("  # one object with a hostile name, to the latest version of its bucket's key");
  out(post({ targets: [{ bucket: "invoices", object: HOSTILE_NAMES[0] }] }));
  out("  # every version under a prefix, dry run: lists what would be re-encrypted, changes nothing");
  out(post({ targets: [{ bucket: "invoices", prefix: "2024/" }], allVersions: true, dryRun: true }));
  out("  # to a customer-provided key (SSE-C) read from a Vault secret (listed in REENCRYPT_ALLOWED_KEYS)");
  out(post({ targets: [{ bucket: "public", object: "readme.txt" }], key: { type: "sse-c", secretId: w.secretId } }));
  out("  # to a given Vault key (a rule's key: always allowed)");
  out(post({ targets: [{ bucket: "public", prefix: "keep/" }], key: { type: "kms", kmsKeyId: w.financeKey } }));
  out(`  # a long job: answered 202 "incomplete" with a resume token when the ${opts.deadline} s deadline nears`);
  out(post({ targets: [{ bucket: DEMO_LONG_BUCKET }] }));
  if (token && cutJob) {
    const c = (cut?.data?.counts ?? {}) as { reencrypted?: number };
    out(`  # the status of a job waiting for its caller (a ${cutSeconds / 2} s invoke over archive stopped after ${n(c.reencrypted ?? 0)} objects)`);
    out(`  curl -sS ${gateway.statusUrl(cutJob)}`);
    out("  # resume it with its token (a real one; it works once: the answer carries the next)");
    out(post({ resume: token }));
  }
  out("  # the rotation job's status, summary and report, read from the state bucket as an operator would");
  out(`  npm run job -- ${w.rotationJobId}${portArg}`);
  out(`  npm run -s job -- ${w.rotationJobId} --report${portArg}   # one JSON line per object version`);
  out("  # what a caller may not do: the gateway forwards only requests, resumes and status queries (403 EntranceNotAllowed)");
  out(post({ sweep: true }));
  const local = `--local${gateway.port === DEFAULT_PORT ? "" : ` --local-port ${gateway.port}`}`;
  out(`  # the operator CLI against this stack (${local}: its emulator, an API key for it, its function; docs/cli.md)`);
  out(`  npx oci-reencrypt run ${local} -bn invoices --prefix 2024/ --all-versions --dry-run --output table`);
  out(`  npx oci-reencrypt status ${w.rotationJobId} ${local} --no-wait --output table`);
}

main().then(
  (code) => {
    if (code === "serving") return;
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
