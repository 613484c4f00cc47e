import { isRetryable, toOciFailure, OciCallError, type OciFailure } from "./oci-failure.js";

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 8_000 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Retries 429, 409 IncorrectState, 5xx and transport failures with full-jitter backoff, but never
 * sleeps past `notAfter`: a retry that could not finish before the deadline is not attempted, and
 * the last failure is reported instead. (The SDK's own retries are off: they run ~95 s.)
 */
export async function withRetry<T>(
  operation: string,
  call: () => Promise<T>,
  opts: {
    notAfter?: number | undefined;
    policy?: RetryPolicy;
    onRetry?: (attempt: number, delayMs: number) => void;
    /** Sees every failed attempt, retried or not. */
    onFailure?: (failure: OciFailure) => void;
  } = {},
): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const failure = toOciFailure(error);
      opts.onFailure?.(failure);
      if (!isRetryable(failure) || attempt >= policy.maxAttempts) throw new OciCallError(failure, operation);
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
      if (opts.notAfter !== undefined && Date.now() + delay >= opts.notAfter) throw new OciCallError(failure, operation);
      opts.onRetry?.(attempt, delay);
      await sleep(delay);
    }
  }
}
