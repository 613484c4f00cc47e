import { CONFIG_KEYS } from "../contract/config-keys.js";
import type { JobResponse } from "../contract/response.js";
import { encodePortableToken } from "../contract/resume-token.js";
import { ReencryptError } from "../errors.js";
import { createReportWriter, type ReportSink } from "../engine/report-writer.js";
import { startShard, type ShardRun } from "../engine/run-shard.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { resolveKeyMaterials, type KeyMaterials } from "../keys/resolve-keys.js";
import type { Logger } from "../log.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import { reportJobEnd, settleOps, startJobOps } from "../ops/job-ops.js";
import { startCheckpoints, type Checkpointer } from "./checkpoint.js";
import { childOf, giveBack } from "./dispatch.js";
export { planNotes, type DurableRun, type Driver, type InvocationInput } from "./invocation-input.js";
import { finalStatus } from "./final-status.js";
import { failShard, finishDurable, type Step } from "./finish-durable.js";
import { dispatchDeps, errorText, firstRecords, planNotes, type InvocationInput } from "./invocation-input.js";
import { dispatchShards } from "./dispatch.js";
import { addCounts, zeroCounts } from "../model/job.js";
import type { PortableJob } from "../contract/resume-token.js";
import { leaseMs } from "./leases.js";
import { createRunnerRegistry } from "./runners.js";
import { startSplitter, type MutableRange, type Splitter } from "./split-range.js";
import { stopsToAdopt, withStopFailures } from "./unit-stop-record.js";
import { governsFor } from "../keys/governing-key.js";

/**
 * Runs one invocation's share of a job: resolves the keys, runs the engine on the shard, keeps
 * its record (checkpoints, lease, range splits) and, when it stops, decides what happens next:
 * the shard is done (the last one ends the job and writes its summary), its caller gets a token,
 * or a detached invocation continues it.
 */
export async function runInvocation(input: InvocationInput, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const started = Date.now();
  input = { ...input, startedAt: input.startedAt ?? started };
  let step = await runOnce(input, rt, dl, log);
  // A shard that finished with time to spare takes the next waiting shard itself: no new
  // invocation, no cold start, and the job never has more runners than REENCRYPT_MAX_PARALLEL.
  while (step.next && input.durable && Date.now() < dl.stopAt - (dl.stopAt - started) * 0.25) {
    const { record, shard } = step.next;
    log.info("taking over the next shard", { jobId: input.spec.id, shard: shard.id });
    step = await runOnce(
      {
        ...input,
        work: { id: shard.id, units: shard.units, ...(shard.range ? { range: shard.range } : {}), cursor: shard.cursor },
        durable: { ...input.durable, claimed: { record, shard } },
        // The same limiter goes on: a fresh one would start with its window empty while the last
        // second's calls of this invocation still count against REENCRYPT_MAX_RPS.
        limiter: step.limiter,
      },
      rt,
      dl,
      log.child({ shard: shard.id }),
    );
  }
  if (step.next && input.durable) {
    // Out of time after all: give it back and let a detached invocation run it.
    const { jobs, owner } = input.durable;
    await giveBack(jobs, input.spec.id, [{ id: step.next.shard.id, owner }], [], log)
      .then(() => dispatchShards(input.spec.id, dispatchDeps(rt, jobs, dl, log)))
      .catch((error: unknown) => log.warn("a shard taken over could not be handed on; it waits for the sweep", { jobId: input.spec.id, error: errorText(error) }));
  }
  await settleOps(rt, dl, log, { origin: input.spec.origin, driver: input.driver, since: started });
  return step.response;
}

async function runOnce(input: InvocationInput, rt: Runtime, dl: Deadlines, log: Logger): Promise<Step> {
  const { spec, work, durable } = input;
  const config = rt.config;
  // The job's own running shards: those holding one of its slots, dispatched ones included.
  const running = Math.max(1, durable?.claimed?.record.open.length ?? 1);
  const limiter = input.limiter ?? createRateLimiter(config.maxRps === undefined ? undefined : config.maxRps / running);
  if (input.limiter && config.maxRps !== undefined) limiter.setCeiling(config.maxRps / running);
  const budget = { notAfter: () => dl.hardStopAt, limiter };
  const store = rt.objectStore(budget);
  const ops = startJobOps(rt, spec, limiter, dl, log);

  let materials: KeyMaterials;
  try {
    const sseCTarget = spec.units.find((u) => u.key.type === "sse-c")?.key;
    materials = await resolveKeyMaterials(sseCTarget, spec.sourceKey, input.inline, rt.secrets(budget));
  } catch (error) {
    // No caller to tell: a detached shard whose key cannot be read fails the job, it does not retry forever.
    if (input.driver === "self" && durable && error instanceof ReencryptError && error.status < 500) {
      return { response: await failShard(input, durable, error, rt, dl, log) };
    }
    throw error;
  }

  // Read before any work: a token secret that cannot be read must fail the invocation while nothing is done yet.
  const tokenKey = durable ? undefined : await rt.tokenKey(budget);

  // A split of this shard cut short by its last runner's death: the new shard is made now.
  const claimedShard = durable?.claimed?.shard;
  if (durable && claimedShard?.child) await durable.jobs.createShard(childOf(spec.id, claimedShard)).catch(() => undefined);

  // A job's first run (no record yet) names its parts by index 0; a claimed run by its count.
  const invocationIndex = durable ? (claimedShard?.invocations ?? 0) : (input.portable?.seq ?? 0);
  const report: ReportSink | undefined = durable
    ? createReportWriter({
        store: rt.objectStore({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) }),
        namespace: durable.jobs.namespace,
        bucket: durable.jobs.bucket,
        partName: (n) => (work.id === 0 && invocationIndex === 0 && n === 0 ? `reports/${spec.id}.jsonl` : `reports/${spec.id}.${work.id}-${invocationIndex}-${n}.jsonl`),
        log,
      })
    : undefined;

  // REENCRYPT_MAX_RPS is the deployment's: this shard registers as a runner and takes its share,
  // at once when it lists (a long shard), else at its first checkpoint (most object-only shards
  // are done before one, and then cost no registry calls at all).
  const runners =
    durable && config.maxRps !== undefined
      ? createRunnerRegistry({ store: rt.objectStore({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) }), state: durable.jobs, owner: durable.owner, jobId: spec.id, leaseMs: leaseMs(config), log })
      : undefined;
  const lists = spec.units.slice(work.units[0], work.units[1]).some((u) => u.scope.kind === "prefix");
  const live = runners && lists ? await runners.heartbeat().catch(() => undefined) : undefined;
  if (live !== undefined && config.maxRps !== undefined) limiter.setCeiling(config.maxRps / Math.max(live, running));

  // A one-unit shard owns a name range (a whole bucket or prefix is one without ends): a split can narrow it.
  let end = work.range?.end;
  let taken: string | undefined;
  const range: MutableRange | undefined =
    work.units[1] - work.units[0] === 1 ? { start: work.range?.start, end: () => end, setEnd: (e) => (end = e), took: (n) => (taken = n), taken: () => taken } : undefined;
  const engine = startShard(spec, work, {
    store,
    materials,
    concurrency: config.concurrency,
    stopAt: dl.stopAt,
    hardStopAt: dl.hardStopAt,
    log,
    report,
    range,
    audience: "function",
    governs: governsFor(config.rules),
    stopAfterIdentical: config.stopAfterIdenticalFailures,
    onUnitStop: () => checkpoints?.soon(),
    onUnitStreak: () => checkpoints?.listen(),
  });
  // Units other shards (or earlier runs) stopped: this run does not call in them either.
  for (const stop of stopsToAdopt(durable?.claimed?.record.stoppedUnits, work, new Set(work.cursor.stopped?.map((s) => s.unit) ?? []))) engine.adoptStop(stop);

  const base = claimedShard?.counts ?? zeroCounts();
  let checkpoints: Checkpointer | undefined;
  let splitter: Splitter | undefined;
  if (durable) {
    const lease = leaseMs(config);
    checkpoints = startCheckpoints({
      jobs: durable.jobs,
      spec,
      work,
      owner: durable.owner,
      intervalMs: config.checkpointSeconds * 1000,
      leaseMs: lease,
      engine,
      report,
      base,
      limiter,
      maxRps: config.maxRps,
      onCheckpoint: ops.checkpoint,
      runners,
      openShards: running,
      announced: durable.claimed?.record.stoppedUnits,
      // Another shard may run this unit: it is a name range of it, or this run cut one off.
      shared: () => work.range !== undefined || splitter?.split() === true,
      ...(durable.claimed ? {} : { fresh: firstRecords(spec, work, durable.owner, lease, input.from?.caller) }),
      log,
    });
    const canSplit = durable.claimed && !durable.claimed.shard.splitDone && input.driver === "self" && config.maxParallel > 1 && rt.functionId !== undefined && !spec.dryRun;
    if (canSplit && range) {
      splitter = startSplitter({
        store,
        jobs: durable.jobs,
        spec,
        work,
        range,
        owner: durable.owner,
        log,
        every: rt.config.splitVersions,
        dispatch: async (child) => void (await dispatchShards(spec.id, dispatchDeps(rt, durable.jobs, dl, log), { prefer: [child] })),
      });
    }
  }

  const run = await engine.done;
  await splitter?.stop();
  await checkpoints?.stop();
  ops.stop(run.counts);
  await runners?.stop();
  const parts = (await report?.close()) ?? [];
  if (run.stopped === "aborted") {
    return { response: { jobId: spec.id, status: "continuing", counts: zeroCounts(), failures: [], message: `shard ${work.id} is run by another invocation now` } };
  }
  if (!durable) return { response: await finishPortable(input, run, tokenKey, rt, dl, log) };
  const merged = { failures: checkpoints?.mergedFailures() ?? 0, stops: checkpoints?.mergedStops() ?? new Map<number, number>() };
  return { ...(await finishDurable(input, durable, run, parts, base, merged, checkpoints?.recordExists() ?? false, rt, dl, log)), limiter };
}

/**
 * Without a state bucket the job travels in a self-contained token: signed with the token secret
 * when there is one; otherwise unsigned, and then only to direct invocations (IAM authorised
 * them). A gateway caller gets no token it could forge (issue 16): its answer says what would
 * make the job resumable.
 */
async function finishPortable(input: InvocationInput, run: ShardRun, tokenKey: Buffer | undefined, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const { spec, work } = input;
  const totals = addCounts(input.portable?.totals ?? zeroCounts(), run.counts);
  const response: JobResponse = {
    jobId: spec.id,
    status: finalStatus(totals, { dryRun: spec.dryRun, remaining: run.cursor !== undefined }),
    counts: totals,
    failures: withStopFailures(spec, run.stops, run.failures),
    ...planNotes(spec),
  };
  if (spec.dryRun) response.objects = run.objects;
  if (run.cursor === undefined) return (reportJobEnd(rt, dl, log, { ...response, origin: spec.origin, continued: input.portable !== undefined }), response);
  const caller = input.from?.caller;
  const job: PortableJob = { spec, work: { ...work, cursor: run.cursor }, totals, seq: (input.portable?.seq ?? 0) + 1, ...(caller !== undefined ? { caller } : {}) };
  if (input.driver === "caller" && !tokenKey && input.from?.gateway) {
    return {
      ...response,
      message: `the job stopped at the invocation's deadline and cannot be resumed through the gateway: this function keeps no jobs (${CONFIG_KEYS.stateBucket}) and has no secret to sign a resume token with (${CONFIG_KEYS.tokenSecretId}); set either to make it resumable. Sending the request again starts it over.`,
    };
  }
  const token = encodePortableToken(job, tokenKey);
  if (input.driver === "caller") return { ...response, resume: token };
  const invoker = rt.selfInvoker({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) });
  let problem = "FN_FN_ID is not a function OCID, so the job cannot continue itself";
  if (invoker) {
    try {
      await invoker.invokeDetached(JSON.stringify({ resume: token }));
      log.info("job continues in a detached invocation", { jobId: spec.id });
      return { ...response, status: "continuing" };
    } catch (error) {
      problem = `its continuation could not be started: ${errorText(error)}`;
    }
  }
  log.error("job incomplete: resume it with the token in the response (no state bucket keeps it)", { jobId: spec.id, problem });
  return { ...response, status: "incomplete", resume: token, message: problem };
}

