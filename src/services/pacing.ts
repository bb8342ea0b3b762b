/**
 * Pacing of provider calls: every call the hub makes for one provider account (syncs, pushes,
 * proxy, sends, tests) takes from that account's budgets first, so the hub stops before the
 * provider answers 429. Budgets follow the provider's published limits (`rateLimits` in its
 * module) at 90%, counted as a sliding window (src/services/pacing/window.ts) by one Durable
 * Object per account (src/services/pacing/rate-budgets.ts): exact when many calls race, and no
 * D1 write per call. A call over budget never waits in place: it fails at once as rate_limited
 * with Retry-After, so the proxy answers 429 and queued work (sends, syncs, pushes) is retried
 * by the queue later.
 */
import { ProviderError } from "../providers/runtime.ts";
import type { RateBudget } from "../providers/sync.ts";
import type { RateBudgets } from "./pacing/rate-budgets.ts";

export { BUDGET_SHARE } from "./pacing/window.ts";

/** Milliseconds since the epoch; injected so tests run pacing on a controlled clock. */
export type Clock = () => number;

export class Pacer {
  /** `budgets` is the RateBudgets namespace (the `PACING` binding). */
  constructor(
    private readonly budgets: DurableObjectNamespace<RateBudgets>,
    private readonly now: Clock = () => Date.now(),
  ) {}

  /**
   * Takes one call from every budget of `key`. Returns 0 when the call may go now, or the
   * milliseconds until there is room again (nothing is taken then).
   */
  async take(key: string, budgets: RateBudget[]): Promise<number> {
    if (!budgets.length) return 0;
    // The clock is read here, not in the object, so that a test's clock is the one counted.
    return this.budgets.get(this.budgets.idFromName(key)).take(budgets, this.now());
  }

  /**
   * Admits one call under `budgets` of `key`, or throws a rate_limited ProviderError (code
   * `BUDGET`) whose Retry-After is the time until there is room. It never waits: the sync
   * pauses, a send or push is retried by the queue, the proxy answers 429.
   */
  async admit(key: string, budgets: RateBudget[] | undefined): Promise<void> {
    if (!budgets?.length) return;
    let wait: number;
    try {
      wait = await this.take(key, budgets);
    } catch (e) {
      // The budgets' object could not answer (a deploy, an overloaded object): the call is not
      // made, and what asked for it retries as after any transient failure.
      throw new ProviderError(
        "transient",
        `pacing unavailable, retry: ${e instanceof Error ? e.message : String(e)}`,
        {
          retryAfterSeconds: 1,
          code: "PACING_UNAVAILABLE",
        },
      );
    }
    if (wait === 0) return;
    throw new ProviderError(
      "rate_limited",
      "paused before the provider's rate limit: this account's request budget is used up for now",
      { retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)), code: "BUDGET" },
    );
  }
}
