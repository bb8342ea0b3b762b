/**
 * The two entries: the production entry (src/index.ts) has no provider simulator, the
 * development entry (src/dev.ts, the tests' `main`) mounts it; SANDBOX_ENABLED on an entry
 * without one refuses provider calls with the reason; dead letters are recognised by the queue
 * name wrangler.toml configures (DEAD_LETTER_QUEUE), not by a suffix.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getSettings } from "../src/config.ts";
import production from "../src/index.ts";
import { createOutboundFor, installLocalService, NO_SIMULATOR } from "../src/services/index.ts";
import { BASE, stubQueue } from "./harness.ts";

async function productionFetch(path: string) {
  const ctx = createExecutionContext();
  const res = await production.fetch(new Request(`${BASE}${path}`), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("the production entry", () => {
  it("has no /sandbox routes, where the development entry serves the simulator", async () => {
    const prod = await productionFetch("/sandbox/_inbox");
    expect(prod.status).toBe(404);
    expect(await prod.json()).toMatchObject({ code: "NOT_FOUND" });

    const dev = await exports.default.fetch(new Request(`${BASE}/sandbox/_inbox`));
    expect(dev.status).toBe(200);
    expect(await dev.json()).toHaveProperty("messages");
  });

  it("still answers the hub's own routes", async () => {
    const res = await productionFetch("/health");
    expect(res.status).toBe(200);
  });

  it("refuses provider calls with the reason when SANDBOX_ENABLED is set but no simulator is installed", async () => {
    const settings = getSettings(env);
    expect(settings.SANDBOX_ENABLED).toBe(true);
    const previous = installLocalService(undefined);
    try {
      const outbound = createOutboundFor(env, settings);
      await expect(outbound.fetch(new Request(`${settings.sandboxBase}/telegram/getMe`))).rejects.toThrow(
        NO_SIMULATOR,
      );
      await expect(outbound.fetch(new Request("https://api.telegram.org/getMe"))).rejects.toThrow(
        NO_SIMULATOR,
      );
      expect(() => outbound.connect({ hostname: "smtp.example.com", port: 587 })).toThrow(NO_SIMULATOR);
    } finally {
      installLocalService(previous);
    }
  });
});

describe("dead letters", () => {
  async function run(queueName: string) {
    const dlq = stubQueue();
    const jobs = stubQueue();
    const batch = createMessageBatch(queueName, [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { type: "not.a.job" } },
    ]);
    const ctx = createExecutionContext();
    await production.queue(batch, { ...env, DLQ: dlq.queue, JOBS: jobs.queue } as Env, ctx);
    const result = await getQueueResult(batch, ctx);
    return { acked: result.explicitAcks.includes("m1") || result.ackAll, dlq: dlq.sent };
  }

  it("are the batches of the queue DEAD_LETTER_QUEUE names: recorded and acked, never re-sent", async () => {
    expect(env.DEAD_LETTER_QUEUE).toBe("switchboard-dlq-development");
    const r = await run(env.DEAD_LETTER_QUEUE);
    expect(r).toEqual({ acked: true, dlq: [] });
  });

  it("are not recognised by a name suffix: another queue's batch is handled as jobs", async () => {
    const r = await run("some-other-dlq");
    expect(r.acked).toBe(true);
    expect(r.dlq).toEqual([{ reason: "unparseable job", body: { type: "not.a.job" } }]);
  });
});
