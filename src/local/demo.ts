// `npm start`: the whole product on one machine. The local OCI emulator plays Object Storage, Vault,
// Secrets, Functions and Events; the real bundle runs behind the real FDK socket; a key rotation
// and a few HTTP requests show what it does, checked against the emulator's ground truth.

import { randomUUID } from "node:crypto";
import { DEMO_COMPARTMENT, DEMO_STATE_BUCKET, HOSTILE_NAMES, demoSeed } from "./demo-seed.js";
import { readOptions, USAGE, type DemoOptions } from "./demo/cli.js";
import { lineSplitter, type LogRecord } from "./demo/function-log.js";
import { columnOf, renderWrappingTable } from "./demo/wrapping-table.js";
import { startEmulator, wrappingLabel, type Emulator } from "./emulator/index.js";
import { startHttpGateway, type HttpGateway } from "./fn/http-gateway.js";
import { startLocalStack, type LocalStack } from "./local-stack.js";

/** Short on purpose: ~4,500 versions then need several self-continuations, which is the point. */
const FUNCTION_TIMEOUT_SECONDS = 8;
/**
 * Added to every emulated request. It caps throughput at concurrency/latency (16 / 25 ms), so even
 * a fast machine needs more than one invocation; on a slow one the function's CPU is the limit anyway.
 */
const REGION_LATENCY_MS = 25;

const started = Date.now();
const out = (line = ""): void => void process.stdout.write(`${line}\n`);
const n = (x: number): string => x.toLocaleString("en-US");
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

interface Running {
  gateway?: HttpGateway;
  stack?: LocalStack;
  emulator?: Emulator;
}

/** Stops whatever was started, in reverse order; safe to call twice. */
function makeCleanup(r: Running): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () =>
    (done ??= (async () => {
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
      invoke: async (req) => {
        if (!running.stack) throw new Error("the function is still starting");
        return running.stack.fn.invoke(req);
      },
    });
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n`);
    return 1;
  }

  try {
    const ok = await walkthrough(running, running.gateway, opts);
    if (opts.exit) {
      await cleanup();
      return ok ? 0 : 1;
    }
    out();
    out(`Serving: POST ${running.gateway.url}  (ready in ${secs(Date.now() - started)}; Ctrl-C to stop)`);
    return "serving";
  } catch (error) {
    process.stderr.write(`demo failed: ${errorMessage(error)}\n`);
    if (process.env["DEMO_DEBUG"]) process.stderr.write(`${error instanceof Error ? (error.stack ?? "") : ""}\n`);
    await cleanup();
    return 1;
  }
}

async function walkthrough(running: Running, gateway: HttpGateway, opts: DemoOptions): Promise<boolean> {
  out("oci-reencrypt: local demo");
  out("  Everything here runs on this machine. A local OCI emulator stands in for Object Storage, Vault (KMS),");
  out("  Secrets, Functions and Events; the real function bundle (dist/func.cjs) runs behind the real Fn FDK");
  out("  socket and signs every request with a resource principal, as it would in OCI. Nothing leaves the");
  out("  machine and no OCI account or credentials are involved.");
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

  const progress = new RotationProgress(opts.verbose);
  const stack = await startLocalStack({
    emulator,
    compartmentId,
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    config: {
      REENCRYPT_STATE_BUCKET: DEMO_STATE_BUCKET,
      REENCRYPT_RULES: JSON.stringify([{ bucket: "public", prefix: "keep/", kmsKeyId: financeKey }]),
    },
    onOutput: lineSplitter((stream, line, record) => progress.onLine(stream, line, record)),
  });
  running.stack = stack;
  emulator.faults.setBaseLatency(REGION_LATENCY_MS);

  out(`  namespace    ${state.namespace}`);
  out(`  compartment  ${compartmentId}  (buckets, vault and function all live here)`);
  out(`  function     ${stack.functionId}  (timeout ${FUNCTION_TIMEOUT_SECONDS} s)`);
  out(`  emulator     ${emulator.url}  (+${REGION_LATENCY_MS} ms per request, like a region's round trip)`);
  out(`  gateway      ${gateway.url}`);
  out();

  out("BEFORE: object versions per bucket, by the key version that wraps their data key (emulator ground truth)");
  out(renderWrappingTable(state));
  out();

  const before = snapshot(emulator);
  const inScope = [...before.values()].filter((v) => v.kmsKeyId === financeKey).length;
  const newVersion = state.rotateKey(financeKey);
  out(`Rotating finance-key: Vault now encrypts with finance-key v${state.key(financeKey)?.versions.length ?? "?"} (${newVersion.id}).`);
  out("Delivering the event OCI Events sends for it (com.oraclecloud.keymanagementservice.createkeyversion.end);");
  out(`the function finds every version under finance-key (${n(inScope)}) and continues itself when its ${FUNCTION_TIMEOUT_SECONDS} s deadline nears:`);
  const event = {
    cloudEventsVersion: "0.1",
    eventID: randomUUID(),
    eventType: "com.oraclecloud.keymanagementservice.createkeyversion.end",
    source: "KeyManagementService",
    eventTime: new Date().toISOString(),
    contentType: "application/json",
    data: {
      compartmentId,
      resourceId: financeKey,
      resourceName: "finance-key",
      additionalDetails: { keyId: financeKey, vaultId, keyVersionId: newVersion.id },
    },
  };
  progress.begin(inScope);
  const rotationStarted = Date.now();
  const first = await stack.deliverEvent(event);
  const elapsed = Date.now() - rotationStarted;
  const detached = emulator.functions.detached;
  const invocations = 1 + detached.length;
  // The last log lines can trail the last response on the pipe.
  await progress.waitFor(invocations, 1_000);
  progress.end();
  // The job's record says how it ended (the event was answered as soon as its shards started).
  const jobId = typeof first.data?.jobId === "string" ? first.data.jobId : "";
  const record = (await stack.invoke({ job: jobId })).data as Record<string, unknown> | undefined;
  const finalStatus = typeof record?.["status"] === "string" ? record["status"] : "unknown";
  out(`Job ${finalStatus}: ${invocations} invocation${invocations === 1 ? "" : "s"} (1 event + ${invocations - 1} detached: shards and their continuations), ${secs(elapsed)}.`);
  out();

  out("AFTER");
  out(renderWrappingTable(state));
  const check = compare(before, snapshot(emulator), financeKey, newVersion.id);
  const newLabel = columnOf(state, { kind: "kms", kmsKeyId: financeKey, keyVersionId: newVersion.id });
  const ok = finalStatus === "succeeded" && check.moved === inScope && check.changedOthers === 0;
  out(
    ok
      ? `  ✓ all ${n(inScope)} finance-key versions are on ${newLabel} (invoices, archive, and public/keep/ through the rule); the other ${n(check.others)} versions are untouched.`
      : `  ✗ ${n(check.moved)} of ${n(inScope)} finance-key versions moved to ${newLabel}; ${n(check.changedOthers)} other versions changed; job ${finalStatus}.`,
  );
  out();

  await httpExamples(gateway, emulator, financeKey);
  await curlExamples(stack, gateway, { financeKey, secretId }, !opts.exit);
  return ok;
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
  for (const [k, b] of before) {
    const a = after.get(k);
    if (b.kmsKeyId === keyId) {
      if (a?.label === `kms:${versionId}`) moved++;
    } else {
      others++;
      if (a?.label !== b.label || a.reencryptCount !== b.reencryptCount) changedOthers++;
    }
  }
  return { moved, others, changedOthers };
}

/** Prints one line per invocation of the rotation job from the function's own "invocation done" log lines. */
class RotationProgress {
  private active = false;
  private seen = 0;
  private total = 0;
  private startedAt = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly verbose: boolean) {}

  begin(total: number): void {
    this.active = true;
    this.seen = 0;
    this.total = total;
    this.startedAt = Date.now();
  }

  end(): void {
    this.active = false;
  }

  async waitFor(count: number, maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    while (this.seen < count && Date.now() < until) {
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  onLine(stream: "stdout" | "stderr", line: string, record: LogRecord | undefined): void {
    if (this.verbose) out(`  │ ${line}`);
    else if (stream === "stderr" || (record && (record.level === "warn" || record.level === "error"))) {
      out(`  function ${record?.level ?? stream}: ${record?.msg ?? line}${record?.["error"] ? ` (${String(record["error"])})` : ""}`);
    }
    if (!this.active || record?.msg !== "invocation done") return;
    if (record["entrance"] !== "event" && record["entrance"] !== "resume") return;
    this.seen++;
    const counts = (record["counts"] ?? {}) as { reencrypted?: number; failed?: number; skipped?: number };
    const status = String(record["jobStatus"] ?? "?");
    const label = `invocation ${this.seen} (${String(record["entrance"])})`;
    let tail = `${n(counts.reencrypted ?? 0)} of ${n(this.total)} re-encrypted so far`;
    if (status !== "continuing") {
      tail = `${n(counts.reencrypted ?? 0)} of ${n(this.total)} re-encrypted, ${n(counts.failed ?? 0)} failed, ${n(counts.skipped ?? 0)} delete marker${counts.skipped === 1 ? "" : "s"} skipped`;
    }
    out(`  ${label.padEnd(22)} ${`+${secs(Date.now() - this.startedAt)}`.padStart(8)}  ${status.padEnd(11)} ${tail}`);
    for (const w of this.waiters.splice(0)) w();
  }
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text ?? "");
    return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function post(url: string, body: unknown): Promise<{ status: number; data: Record<string, unknown> | undefined }> {
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, data: parseJson(await res.text()) };
}

function summary(r: { status: number; data: Record<string, unknown> | undefined }): string[] {
  const d = r.data ?? {};
  const c = (d["counts"] ?? {}) as { matched?: number; reencrypted?: number; failed?: number; skipped?: number };
  const what = d["status"] === "dry-run" ? `${n(c.matched ?? 0)} matched, nothing changed` : `${n(c.reencrypted ?? 0)} re-encrypted, ${n(c.failed ?? 0)} failed`;
  const lines = [`→  HTTP ${r.status}  ${String(d["status"] ?? "?")}  ${what}`];
  const listed = Array.isArray(d["objects"]) ? (d["objects"] as { object: string }[]) : [];
  if (listed.length > 0) lines.push(`   first: ${listed.slice(0, 3).map((o) => o.object).join(", ")}, …`);
  if (typeof d["report"] === "string") lines.push(`   report ${d["report"]}`);
  return lines;
}

async function httpExamples(gateway: HttpGateway, em: Emulator, financeKey: string): Promise<void> {
  out(`HTTP, as API Gateway would call the function: POST ${gateway.url}`);
  const dry = { targets: [{ bucket: "app-logs", prefix: "2025/" }], dryRun: true };
  out(`  dry run      ${JSON.stringify(dry)}`);
  for (const line of summary(await post(gateway.url, dry))) out(`               ${line}`);

  const prefix = "2025/01/00000";
  const real = { targets: [{ bucket: "app-logs", prefix }], key: { type: "kms", kmsKeyId: financeKey } };
  out(`  re-encrypt   ${JSON.stringify(real)}`);
  for (const line of summary(await post(gateway.url, real))) out(`               ${line}`);
  const versions = em.state.objectVersions("app-logs", prefix).filter((v) => !v.isDeleteMarker);
  const columns = [...new Set(versions.map((v) => columnOf(em.state, v.wrapping)))];
  out(`                  app-logs/${prefix}*: ${n(versions.length)} objects, now on ${columns.join(", ")} (emulator ground truth)`);
  out();
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

async function curlExamples(stack: LocalStack, gateway: HttpGateway, ids: { financeKey: string; secretId: string }, serving: boolean): Promise<void> {
  const curl = (body: unknown): string => `  curl -sS -X POST ${gateway.url} -H 'Content-Type: application/json' \\\n    -d ${shellQuote(JSON.stringify(body))}`;

  // A real token: the same job `fn invoke` would start, given a deadline that runs out mid-way.
  const cut = await stack.invoke({ targets: [{ bucket: "archive" }] }, { deadline: new Date(Date.now() + 1_500) });
  const token = typeof cut.data?.resume === "string" ? (cut.data.resume as string) : undefined;

  out(serving ? "Try it (the gateway stays up until Ctrl-C):" : "Try it (with `npm start` the gateway stays up until Ctrl-C):");
  out("  # one object with a hostile name, to the latest version of its bucket's key");
  out(curl({ targets: [{ bucket: "invoices", object: HOSTILE_NAMES[0] }] }));
  out("  # every version under a prefix, dry run: lists what would be re-encrypted, changes nothing");
  out(curl({ targets: [{ bucket: "invoices", prefix: "2024/" }], allVersions: true, dryRun: true }));
  out("  # to a customer-provided key (SSE-C) read from a Vault secret");
  out(curl({ targets: [{ bucket: "public", object: "readme.txt" }], key: { type: "sse-c", secretId: ids.secretId } }));
  out("  # to a given Vault key");
  out(curl({ targets: [{ bucket: "public", prefix: "keep/" }], key: { type: "kms", kmsKeyId: ids.financeKey } }));
  if (token) {
    const c = (cut.data?.counts ?? {}) as { reencrypted?: number };
    out(`  # resume a job that stopped at its deadline (a real token: a 1.5 s invoke over archive stopped after ${n(c.reencrypted ?? 0)} objects)`);
    out(curl({ resume: token }));
  } else {
    out("  # resume a job that answered \"incomplete\": send back its resume token");
    out(curl({ resume: "<resume token from the incomplete answer>" }));
  }
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
