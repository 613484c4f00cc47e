// Property-based fuzzing of the whole function: generated and mutated requests, shorthand requests,
// events, resume tokens of both kinds, status queries, diagnose, sweep, raw junk and gateway routes,
// through the real FDK socket of ONE function process, against the emulator. For every answer:
// the process lives (same pid, still answering), the answer is one JSON object with a status the
// contract allows for that input, an invalid input changed nothing, and no key material (inline
// keys, secret contents; base64, base64url or hex) appears in any answer or output line.
//
// FUZZ_RUNS (default 1000: `npm test` runs a new seed's 1,000 on every run) sets the number of
// cases; FUZZ_SEED replays a run; FUZZ_NODE_OPTIONS is given to the function's node (a smaller
// heap finds leaks sooner); `npm run fuzz` runs 20,000 and prints the figures.

import { randomBytes, randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import type { InvokeResult } from "../../src/local/fn/invoke-types.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { caseArbitrary, specialTokens, type FuzzCase } from "../helpers/fuzz-cases.js";
import { ERROR_STATUS, expectationFor, expectedJobStatus, isJobAnswer } from "../helpers/fuzz-oracle.js";
import { isAlive, KeyWatch, nonJsonLines, onlyContainer, procMemory, STATE_CHANGING } from "../helpers/fuzz-probes.js";
import { fuzzConfig, fuzzSeed, worldIds, type WorldIds } from "../helpers/fuzz-world.js";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 1000);
const seed = process.env["FUZZ_SEED"] === undefined ? randomBytes(4).readInt32LE() : Number(process.env["FUZZ_SEED"]);
/**
 * Cases in flight at once (FUZZ_WINDOW). One by default: the container runs one invocation at a
 * time anyway (the function is CPU-bound, so sending ahead gains nothing), and a case waiting
 * behind others would spend its own deadline in the queue (Fn-Deadline is set when it is sent).
 */
const WINDOW = Math.max(1, Number(process.env["FUZZ_WINDOW"] ?? 1));
// About 25 ms a case on two cores; a generous bound for slow machines.
const TIMEOUT_MS = 120_000 + RUNS * 60;

interface Figures {
  cases: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  byCode: Record<string, number>;
  mustFail: number;
  mustServe: number;
  stateChangingCalls: number;
  maxRssKb: number;
  slowestMs: number;
  msByKind: Record<string, number>;
}

describe("fuzz: every entrance, generated and mutated, through one function process", () => {
  let em: Emulator;
  let stack: LocalStack;
  let ids: WorldIds;
  let pid: number;
  const watch = new KeyWatch();
  const keyCase = new Map<string, number>();
  /** Tokens and job ids the function has answered: what later cases resume and ask about. */
  const tokens: string[] = [];
  const shardTokens: string[] = [];
  const jobIds: string[] = [];
  let special: { bomb: string; manyUnits: string };
  const figures: Figures = { cases: 0, byKind: {}, byStatus: {}, byCode: {}, mustFail: 0, mustServe: 0, stateChangingCalls: 0, maxRssKb: 0, slowestMs: 0, msByKind: {} };
  let started = 0;
  let lastAnswerAt = 0;

  beforeAll(async () => {
    em = await startEmulator({ seed: fuzzSeed });
    ids = worldIds(em);
    for (const k of ids.secretKeys) watch.add(k);
    // FUZZ_NODE_OPTIONS (e.g. --max-old-space-size=96) runs the function with a smaller heap, as a leak hunt.
    const nodeOptions = process.env["FUZZ_NODE_OPTIONS"];
    stack = await startLocalStack({ emulator: em, maxContainers: 1, idleSeconds: 3600, timeoutSeconds: 30, config: { ...fuzzConfig(ids), ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) } });
    pid = onlyContainer(stack);
    // The Functions service of this world refuses detached invocations at once: no continuation or
    // shard runs in the background, so every call the emulator sees belongs to the case that made
    // it (and dispatches do not spend their deadline retrying 429s).
    em.faults.add({ operation: "InvokeFunction", status: 400, code: "InvalidParameter", message: "fuzz world: no detached invocations" });
    special = specialTokens();
    // Two real jobs cut at their deadline: their tokens are what reference-token cases start from.
    for (let i = 0; i < 2; i++) {
      const r = await stack.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { deadline: new Date(Date.now() + 1_100) });
      if (typeof r.data?.resume === "string") tokens.push(r.data.resume);
      if (typeof r.data?.jobId === "string") jobIds.push(r.data.jobId);
    }
    expect(tokens.length).toBeGreaterThan(0);
  });

  afterAll(async () => {
    await stack?.stop();
    await em?.close();
  });

  const pick = <T>(xs: readonly T[], i: number, fallback: T): T => (xs.length === 0 ? fallback : (xs[(Number.isSafeInteger(i) ? Math.abs(i) : 0) % xs.length] as T));
  const nonce = () => randomBytes(16).toString("base64url");

  /** Placeholders become what exists now: tokens, job ids, a key version rotated for this event. */
  function resolve(text: string): string {
    return text.replace(/@@([A-Z]+)(?::([^@]*))?@@/g, (_m, what: string, arg: string | undefined) => {
      switch (what) {
        case "BOMB":
          return special.bomb;
        case "MANYUNITS":
          return special.manyUnits;
        case "JOB":
          return pick(jobIds, Number(arg), randomUUID());
        case "ROTATE": {
          const keyId = ids.keys[arg as "k1" | "kr" | "k2"];
          return keyId ? em.state.rotateKey(keyId).id : `ocid1.keyversion.oc1.iad.${"z".repeat(60)}`;
        }
        case "REF": {
          const [recipe, n] = (arg ?? "").split(":");
          const i = Number(n);
          const jobOf = (t: string) => t.split(".")[1] ?? randomUUID();
          switch (recipe) {
            case "latest":
              return tokens[tokens.length - 1] ?? `j1.${randomUUID()}.${nonce()}`;
            case "captured":
              return pick(tokens, i, `j1.${randomUUID()}.${nonce()}`);
            case "shard":
              return pick(shardTokens, i, `j1.${randomUUID()}.${i % 4}.${nonce()}`);
            case "forged-nonce":
              return `j1.${jobOf(pick(tokens, i, `j1.${randomUUID()}.x`))}.${nonce()}`;
            case "unknown-job":
              return `j1.${randomUUID()}.${nonce()}`;
            default:
              return pick([`j1.../../x.${nonce()}`, `j1.${randomUUID()}.-1.${nonce()}`, `j1.${randomUUID()}.01.${nonce()}`, `j1.${randomUUID()}`, "j1..", `j1.${randomUUID()}.${nonce().slice(0, 12)}`, `J1.${randomUUID()}.${nonce()}`, `j1.${randomUUID()}.${nonce()}=`], i, "j1.");
          }
        }
        default:
          return _m;
      }
    });
  }

  interface Sent {
    index: number;
    c: FuzzCase;
    url: string;
    text: string | undefined;
    expectation: ReturnType<typeof expectationFor>;
    t0: number;
  }

  /** Resolves a case's placeholders and sends it; the answer is checked by `check` in sending order. */
  function send(c: FuzzCase, index: number): { sent: Sent; answer: Promise<InvokeResult | Error> } {
    let body: string | Buffer;
    let text: string | undefined;
    if ("bytes" in c.body) {
      body = Buffer.from(c.body.bytes);
      text = body.toString("utf8");
    } else {
      text = resolve("json" in c.body ? JSON.stringify(c.body.json) : c.body.raw);
      body = text;
    }
    const url = resolve(c.url);
    for (const k of c.keys) {
      watch.add(k);
      if (!keyCase.has(k)) keyCase.set(k, index);
    }
    const get = c.via === "gateway" && c.method.toUpperCase() === "GET";
    const expectation = expectationFor({ via: c.via, method: c.method, url, bytes: Buffer.byteLength(body), text: get ? undefined : text, valid: c.valid });
    const sent: Sent = { index, c, url, text, expectation, t0: Date.now() };
    const answer = stack.fn
      .invoke({
        body: get ? "" : body,
        deadline: new Date(Date.now() + c.deadlineMs),
        ...(c.via === "gateway" ? { gateway: { method: c.method, url, headers: { "Content-Type": "application/json", "X-Forwarded-For": "203.0.113.7" } } } : {}),
      })
      .catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    return { sent, answer };
  }

  /**
   * Checks one answer. `from`..`to` are the emulator requests this case caused: the one container
   * runs invocations one at a time in sending order, and the next one is handed to it only after
   * this answer has come back, so no other case's call can fall in between.
   */
  function check(s: Sent, result: InvokeResult | Error, from: number, to: number): string[] {
    const { c, expectation, text, url } = s;
    const problems: string[] = [];
    const answer = result instanceof Error ? undefined : result;
    if (result instanceof Error) problems.push(`no answer: ${result.message}`);
    // The container's time on this case: from when it could start it (sent, and the previous one answered) to its answer.
    const now = Date.now();
    const ms = now - Math.max(s.t0, lastAnswerAt);
    lastAnswerAt = now;
    figures.slowestMs = Math.max(figures.slowestMs, ms);
    figures.msByKind[c.kind] = (figures.msByKind[c.kind] ?? 0) + ms;
    const calls = em.requests.slice(from, to);
    const changed = calls.filter((q) => STATE_CHANGING.has(q.operation)).map((q) => `${q.operation} ${q.path}`);

    // The process lives: the same container, still there.
    const live = stack.containers();
    if (live.length !== 1 || live[0]?.pid !== pid || !isAlive(pid)) problems.push(`the function process changed or died (pid ${pid} → ${live.map((x) => x.pid).join(",")})`);

    let data: Record<string, unknown> | undefined;
    if (answer) {
      if (answer.status !== 200) problems.push(`the FDK answered ${answer.status} (a throw reached it)`);
      try {
        const parsed = JSON.parse(answer.body) as unknown;
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
        else problems.push("the answer is JSON but not an object");
      } catch {
        problems.push("the answer is not JSON");
      }
      const found = watch.foundIn(answer.body);
      if (found.length > 0) problems.push(`key material in the answer (keys first sent by case ${found.map((k) => keyCase.get(k) ?? "secret").join(",")})`);
    }
    const status = answer?.httpStatus ?? 0;
    figures.cases++;
    figures.byKind[c.kind] = (figures.byKind[c.kind] ?? 0) + 1;
    figures.byStatus[String(status)] = (figures.byStatus[String(status)] ?? 0) + 1;
    if (expectation.mustFail) figures.mustFail++;
    if (expectation.mustServe) figures.mustServe++;

    if (data) {
      const error = data["error"] as { code?: string; message?: string } | undefined;
      if (error) {
        figures.byCode[error.code ?? "?"] = (figures.byCode[error.code ?? "?"] ?? 0) + 1;
        const want = ERROR_STATUS[error.code ?? ""];
        if (error.code === "ServiceError") {
          if (!(status >= 400 && status < 500)) problems.push(`ServiceError ${status} without any fault injected`);
        } else if (want === undefined) problems.push(`error ${error.code} (${status}): ${error.message ?? ""}`);
        else if (want !== status) problems.push(`error ${error.code} answered ${status}, not ${want}`);
        if (changed.length > 0) problems.push(`refused (${error.code}) after changing state: ${changed.slice(0, 3).join("; ")}`);
        if (expectation.mustServe) problems.push(`a valid body was refused: ${error.code}: ${error.message ?? ""}`);
      } else if (isJobAnswer(data)) {
        figures.byCode[`job:${data.status}`] = (figures.byCode[`job:${data.status}`] ?? 0) + 1;
        const want = expectedJobStatus(data);
        if (want !== status) problems.push(`job answer ${data.status} carries ${status}, the contract says ${want}`);
        if (typeof data["resume"] === "string") {
          tokens.push(data["resume"]);
          if (tokens.length > 200) tokens.splice(0, 100);
        }
        if (data["resume"] !== undefined || data.status === "continuing") jobIds.push(data.jobId);
        if (expectation.mustFail) problems.push(`certainly invalid (${expectation.mustFail}) yet run as job ${data.status}`);
      } else if ("diagnose" in data || "resumed" in data || "origin" in data) {
        figures.byCode["ok:other"] = (figures.byCode["ok:other"] ?? 0) + 1;
        if (status !== 200) problems.push(`a ${Object.keys(data)[0]} answer carries ${status}`);
        if (expectation.mustFail) problems.push(`certainly invalid (${expectation.mustFail}) yet answered`);
      } else {
        problems.push(`an answer of no known shape: ${answer?.body.slice(0, 200)}`);
      }
      if (status >= 500 && !(isJobAnswer(data) && data.status === "failed")) problems.push(`a ${status}`);
    }
    if (expectation.status && !expectation.status.includes(status)) problems.push(`status ${status}, expected ${expectation.status.join(" or ")} (${expectation.mustFail ?? "contract"})`);
    if (expectation.mustFail && !(status >= 400 && status < 500)) problems.push(`certainly invalid (${expectation.mustFail}) yet answered ${status}`);
    if (expectation.noCalls && calls.length > 0) problems.push(`${calls.length} call(s) to OCI before refusing: ${calls.slice(0, 3).map((q) => q.operation).join(", ")}`);
    if (!data || !("error" in data)) figures.stateChangingCalls += changed.length;
    // Shard tokens the function sent its own continuations: later cases replay them.
    for (const q of calls) {
      const t = q.operation === "InvokeFunction" ? (q.body as { resume?: unknown } | undefined)?.resume : undefined;
      if (typeof t === "string") shardTokens.push(t);
    }
    if (figures.cases % 50 === 0) {
      const mem = procMemory(pid);
      if (mem) figures.maxRssKb = Math.max(figures.maxRssKb, mem.rssKb);
    }
    if (problems.length === 0) return [];
    const shown = text === undefined ? "" : text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text;
    return [
      `case ${s.index} (${c.kind} via ${c.via} ${c.method} ${url}; mutations: ${c.mutations.join(" | ") || "none"}):\n  ${problems.join("\n  ")}\n  sent: ${shown}\n  answer: ${answer?.httpStatus} ${answer?.body.slice(0, 600)}`,
    ];
  }

  it(
    `keeps the contract for ${RUNS} generated and mutated inputs`,
    async () => {
      started = Date.now();
      const cases = fc.sample(caseArbitrary(ids), { numRuns: RUNS, seed });
      const violations: string[] = [];
      // With FUZZ_WINDOW > 1 a few cases are in flight: the container still runs them one by one,
      // in order, and each answer is checked in that order.
      const inFlight: Array<{ sent: Sent; answer: Promise<InvokeResult | Error> }> = [];
      let boundary = em.requests.length;
      const settleOldest = async (): Promise<void> => {
        const next = inFlight.shift() as (typeof inFlight)[number];
        const result = await next.answer;
        const to = em.requests.length;
        violations.push(...check(next.sent, result, boundary, to));
        boundary = to;
      };
      for (const [i, c] of cases.entries()) {
        if (inFlight.length >= WINDOW) await settleOldest();
        inFlight.push(send(c, i));
      }
      while (inFlight.length > 0) await settleOldest();
      const duration = (Date.now() - started) / 1000;

      // The whole output, once: one JSON object a line, no key material in any form.
      const out = stack.fn.stdout();
      const err = stack.fn.stderr();
      const badLines = [...nonJsonLines(out), ...nonJsonLines(err)];
      const leaked = watch.foundIn(`${out}\n${err}`);
      const mem = procMemory(pid);
      figures.maxRssKb = Math.max(figures.maxRssKb, mem?.rssKb ?? 0);
      const peakMiB = Math.round((mem?.peakKb ?? 0) / 1024);

      const sorted = (r: Record<string, number>) => Object.entries(r).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
      console.log(
        [
          `fuzz: ${figures.cases} cases in ${duration.toFixed(1)} s (${(figures.cases / duration).toFixed(0)}/s), seed ${seed} (FUZZ_SEED), one process (pid ${pid}, ${stack.stats().coldStarts} cold start)`,
          `  violations: ${violations.length}`,
          `  by entrance: ${sorted(figures.byKind)}`,
          `  function time by entrance (s): ${sorted(Object.fromEntries(Object.entries(figures.msByKind).map(([k, v]) => [k, Math.round(v / 100) / 10])))}`,
          `  by status:   ${sorted(figures.byStatus)}`,
          `  by answer:   ${sorted(figures.byCode)}`,
          `  certainly invalid: ${figures.mustFail} (each must be a 4xx that changed nothing); valid and allowed: ${figures.mustServe} (each must be served)`,
          `  state-changing calls by accepted inputs: ${figures.stateChangingCalls}; emulator requests: ${em.requests.length}`,
          `  keys watched: ${watch.size} (base64, base64url, hex); output: ${(out.length / 1024 / 1024).toFixed(1)} MiB, ${out.split("\n").length - 1} lines, ${badLines.length} not JSON, ${leaked.length} key(s) found`,
          `  container RSS: max sampled ${Math.round(figures.maxRssKb / 1024)} MiB, peak (VmHWM) ${peakMiB} MiB; slowest case ${figures.slowestMs} ms`,
        ].join("\n"),
      );
      expect(violations.slice(0, 5).join("\n\n"), `${violations.length} case(s) broke the contract (seed ${seed})`).toBe("");
      expect(badLines, "output lines that are not one JSON object").toEqual([]);
      expect(leaked.map((k) => `key of case ${keyCase.get(k) ?? "(a secret)"}`), "key material in the function's output").toEqual([]);
      expect(isAlive(pid)).toBe(true);
      expect(figures.cases).toBe(RUNS);
    },
    TIMEOUT_MS,
  );
});
