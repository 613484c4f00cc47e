// One bench row must not take the others down: each row runs under a guard with a time budget.
// A row that throws, or outlives its budget, becomes a FAILED row naming why, and the bench goes on.
// On a timeout the guard aborts the row's signal (its loops stop at their next wait) and runs the
// cleanups the row deferred (its emulator and containers), so an abandoned row does not keep
// spending CPU under the rows measured after it.

import type { BenchRow } from "./table.js";

export interface RowScope {
  /** Aborted when the row is over its budget: waits and polling loops give up with the reason. */
  readonly signal: AbortSignal;
  /** Cleanup for the case the row is abandoned (idempotence is the caller's: the row's own finally may run it too). */
  defer(cleanup: () => Promise<unknown>): void;
}

export type RowOutcome<T> = { ok: true; value: T; seconds: number } | { ok: false; reason: string; seconds: number };

const CLEANUP_BUDGET_MS = 20_000;

/** A scope that never aborts: for rows run outside the bench (tests, scripts). */
export const unguarded: RowScope = { signal: new AbortController().signal, defer: () => undefined };

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").slice(0, 300);

/** Runs `run` within `budgetMs`; never throws. */
export async function guardRow<T>(label: string, budgetMs: number, run: (scope: RowScope) => Promise<T>, log: (s: string) => void): Promise<RowOutcome<T>> {
  const controller = new AbortController();
  const cleanups: (() => Promise<unknown>)[] = [];
  const scope: RowScope = { signal: controller.signal, defer: (c) => void cleanups.push(c) };
  const t0 = performance.now();
  const seconds = (): number => (performance.now() - t0) / 1000;
  let timer: NodeJS.Timeout | undefined;
  const overBudget = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), budgetMs);
  });
  // Settles as a value either way, so an abandoned row that rejects later is not unhandled.
  const work = run(scope).then(
    (value) => ({ kind: "done" as const, value }),
    (error: unknown) => ({ kind: "error" as const, error }),
  );
  const first = await Promise.race([work, overBudget]);
  clearTimeout(timer);
  if (first !== "timeout" && first.kind === "done") return { ok: true, value: first.value, seconds: seconds() };
  const reason = first === "timeout" ? `over its budget of ${(budgetMs / 1000).toFixed(0)} s` : message(first.error);
  log(`${label}: FAILED after ${seconds().toFixed(0)} s (${reason}); cleaning up and going on`);
  controller.abort(new Error(`${label}: ${reason}`));
  // Newest first: containers before the emulator they talk to.
  for (const c of cleanups.reverse()) {
    let t: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      t = setTimeout(resolve, CLEANUP_BUDGET_MS);
    });
    await Promise.race([c().catch(() => undefined), bounded]);
    clearTimeout(t);
  }
  return { ok: false, reason, seconds: seconds() };
}

/** A table row saying which row failed and why. */
export const failedRow = (name: string, reason: string): BenchRow => ({ name, value: "FAILED", baseline: reason, ratio: "—" });

/** Resolves after `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Wraps an idempotent close: the row's finally and the guard may both call it. */
export function once(close: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= close());
}
