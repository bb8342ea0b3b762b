/**
 * The job engine finishes the succeeded jobs of one run together (one batch under all their
 * leases, one counter), and falls back to finishing each on its own when one of them was taken
 * over meanwhile: the taken one is left to its new holder, the others are stored.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type AnyJobKind, JobEngine } from "../../src/jobs/engine.ts";
import { createServices, type Services } from "../../src/services/index.ts";
import {
  call,
  quietLog as log,
  newIntegration,
  newOrg,
  postTelegramUpdate,
  storeQueuedWebhooks,
  stubQueue,
  type TestOrg,
} from "../harness.ts";

let org: TestOrg;
let jobs: ReturnType<typeof stubQueue>;
let services: Services;
let seq = 0;

beforeEach(async () => {
  org = await newOrg();
  jobs = stubQueue();
  services = createServices({ ...env, JOBS: jobs.queue } as Env, "req_finish_together");
});

/** Stores `n` Telegram updates as pending webhook events; answers their ids. */
async function pendingEvents(n: number): Promise<string[]> {
  const secret = "tg-secret_0123456789";
  const bot = await newIntegration(org, {
    provider: "telegram",
    name: `Bot ${++seq}`,
    bot_token: "123456:ABCdef_ghi-jkl",
    webhook_secret: secret,
  });
  for (let i = 0; i < n; i++) await postTelegramUpdate(bot.webhook_url, secret, 800_000 + ++seq, jobs.queue);
  return storeQueuedWebhooks(services, jobs.sent);
}

const statusOf = async (id: string) =>
  (await env.DB.prepare("SELECT status, lease_until FROM webhook_events WHERE id = ?").bind(id).first()) as {
    status: string;
    lease_until: number | null;
  };

const counters = async () =>
  ((await call("GET", "/api/jobs/stats", { key: org.adminKey })).json.kinds["webhook.process"] ??
    {}) as Record<string, number>;

describe("finishing a run's succeeded jobs together", () => {
  it("every event of a delivery is stored processed, and counted once each", async () => {
    const ids = await pendingEvents(3);
    const result = await services.webhooks.process(org.orgId, ids, log);
    expect(result).toMatchObject({ action: "ack", status: "processed" });
    for (const id of ids) expect(await statusOf(id)).toEqual({ status: "processed", lease_until: null });
    expect(await counters()).toEqual({ succeeded: 3 });
  });

  it("an event taken over mid-run is left to its new holder; the others are stored", async () => {
    const ids = await pendingEvents(3);
    const taken = ids[1] as string;
    const kind = services.webhooks.processJob;
    const later = Date.now() + 10 * 60_000;
    // While the run works on the second event, another worker claims it with a later lease.
    const racing: AnyJobKind = {
      ...kind,
      run: async (job, shared) => {
        const outcome = await kind.run(job as never, shared);
        if (job.row.id === taken)
          await env.DB.prepare("UPDATE webhook_events SET lease_until = ? WHERE id = ?")
            .bind(later, taken)
            .run();
        return outcome;
      },
    } as AnyJobKind;
    await new JobEngine(services.db, jobs.queue).run(racing as never, org.orgId, ids, log);
    expect(await statusOf(ids[0] as string)).toEqual({ status: "processed", lease_until: null });
    expect(await statusOf(ids[2] as string)).toEqual({ status: "processed", lease_until: null });
    expect(await statusOf(taken)).toEqual({ status: "processing", lease_until: later });
    expect(await counters()).toEqual({ succeeded: 2, superseded: 1 });
  });
});
