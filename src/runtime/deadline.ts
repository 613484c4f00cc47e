/** When to stop starting calls, and when to stop waiting for them, before the invocation's deadline. */
export interface Deadlines {
  deadline: number;
  stopAt: number;
  hardStopAt: number;
}

/** Functions default to a 30 s timeout; a call without Fn-Deadline gets that budget. */
export const DEFAULT_BUDGET_MS = 30_000;

export function deadlinesFor(deadline: Date | null | undefined, now: number): Deadlines {
  const end = deadline && Number.isFinite(deadline.getTime()) ? deadline.getTime() : now + DEFAULT_BUDGET_MS;
  const budget = Math.max(0, end - now);
  // Keep a quarter of the budget (2 s to 15 s): half of it for calls in flight to finish, half for
  // the bookkeeping after them (report parts, the job record, a continuation's InvokeFunction).
  // Never more than half: a tiny budget still gets work done.
  const margin = Math.min(15_000, Math.max(2_000, budget * 0.25), budget * 0.5);
  return { deadline: end, stopAt: end - margin, hardStopAt: end - margin * 0.5 };
}
