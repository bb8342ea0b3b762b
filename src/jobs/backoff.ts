/**
 * The one retry schedule of every job kind: exponential (or a kind's fixed schedule) with
 * jitter, a provider's Retry-After when it gave one, never beyond what a queue can delay.
 */

/** Cloudflare Queues' longest delay for a message. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

/** How a kind of job retries: how many attempts in all, and how long to wait before each. */
export interface RetryPolicy {
  /** Attempts in all, the first included; the last failure is a dead letter. */
  maxAttempts: number;
  /** Seconds before the first retry, doubled for each one after it (when there is no schedule). */
  baseSeconds?: number;
  /** The longest wait of the doubling. */
  capSeconds?: number;
  /** Seconds to wait before attempt n+1 after attempt n fails, by n; the last entry repeats. */
  schedule?: readonly number[];
  /** A Retry-After of a rate limit does not use up an attempt (a sync's pause, say). */
  rateLimitsAreFree?: boolean;
  /** How far a wait may stray from its schedule either way (default ±20 %; 0 for none). */
  jitter?: number;
  /**
   * `exact` (default): a Retry-After replaces the schedule; `at-least`: it only lengthens it, as
   * Standard Webhooks has senders do.
   */
  retryAfter?: "exact" | "at-least";
}

/** How far a wait may stray from its schedule either way, so retries of many jobs spread out. */
export const JITTER = 0.2;

/**
 * Seconds to wait after failed attempt `attempt` (1 for the first): the schedule with its
 * jitter, or the provider's Retry-After when it sent one (instead of the schedule, or as its
 * floor); at least 1 s, at most 12 h.
 */
export function retryDelaySeconds(
  policy: RetryPolicy,
  attempt: number,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number {
  const after =
    retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds)
      ? Math.ceil(retryAfterSeconds)
      : undefined;
  if (after !== undefined && policy.retryAfter !== "at-least") return clamp(after);
  const n = Math.max(1, attempt);
  const base = policy.schedule
    ? (policy.schedule[n] ?? policy.schedule[policy.schedule.length - 1] ?? 1)
    : Math.min(policy.capSeconds ?? 300, (policy.baseSeconds ?? 5) * 2 ** (n - 1));
  const jitter = policy.jitter ?? JITTER;
  const scheduled = Math.round(base * (1 - jitter + 2 * jitter * random()));
  return clamp(Math.max(scheduled, after ?? 0));
}

const clamp = (s: number) => Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, s));
