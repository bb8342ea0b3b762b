/**
 * The job engine's fault matrix: every kind of background work (message.send, webhook.process,
 * event.deliver, sync.page, record.push) meets the same faults, and each is held to the same
 * assertions:
 * - a crash mid-job (the handler throws an internal error),
 * - a duplicate delivery (the queue delivers one message twice, the second while the first runs),
 * - an expired lease and a late finish (a worker stalls past its lease, the re-drive finds the
 *   row, another worker finishes it, then the stalled one comes back), and a renewed lease,
 * - a 429 with Retry-After, a 5xx until the attempts are used up, and a permanent 4xx.
 * A kind's real handler does the work. A fault is what the handler meets where it calls out: a
 * ProviderError built from the HTTP answer the way the providers' runtime builds one (or a
 * TypeError for a crash). Clocks are passed in, never waited for; the jitter is pinned at its
 * middle so each wait is exactly the kind's schedule. Last, the queue's own dead letters (a
 * message it gave up delivering) are stored in D1 beside the engine's.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { retryDelaySeconds } from "../../src/jobs/backoff.ts";
import { type AnyJobKind, JobEngine, type RunResult } from "../../src/jobs/engine.ts";
import type { Logger } from "../../src/lib/log.ts";
import { errorFrom } from "../../src/providers/runtime.ts";
import type { JobMessage } from "../../src/queue/messages.ts";
import { createServices, type Services } from "../../src/services/index.ts";
import { BASE, call, newIntegration, newOrg, stubQueue, type TestOrg } from "../harness.ts";
import { shapeData } from "../sync/helpers.ts";

vi.setConfig({ testTimeout: 60_000 });

const log = { debug() {}, info() {}, warn() {}, error() {}, child: () => log } as unknown as Logger;

let seq = 0;
const uniq = () => `${Date.now().toString(36)}${(++seq).toString(36)}`;

let org: TestOrg;
let jobs: ReturnType<typeof stubQueue>;
let services: Services;

beforeEach(async () => {
  org = await newOrg();
  jobs = stubQueue();
  services = createServices({ ...env, JOBS: jobs.queue } as Env, "req_fault_matrix");
});

// ---- the kinds -------------------------------------------------------------------------------

interface Fixture {
  kind: (s: Services) => AnyJobKind;
  /** The table of the kind's rows. */
  table: string;
  /**
   * What a row looks like once the job's attempt is done (a sync job's first page is one
   * attempt: the job goes on with the next page's message).
   */
  done: { status: string } & Record<string, unknown>;
  /** Creates one job, ready to run, for `org`; answers its row's id. */
  create: () => Promise<string>;
}

const FIXTURES: Record<string, Fixture> = {
  "message.send": {
    kind: (s) => s.messages.sendJob,
    table: "messages",
    done: { status: "sent" },
    create: async () => {
      const bot = await newIntegration(org, {
        provider: "telegram",
        name: `Bot ${uniq()}`,
        bot_token: "123456:ABCdef",
      });
      const r = await call("POST", "/api/messages", {
        key: org.adminKey,
        body: { integration_id: bot.id, channel: "telegram", to: "2001", text: `matrix ${uniq()}` },
        env: { JOBS: jobs.queue },
      });
      expect(r.status, r.text).toBe(202);
      return r.json.message.id;
    },
  },
  "webhook.process": {
    kind: (s) => s.webhooks.processJob,
    table: "webhook_events",
    done: { status: "processed" },
    create: async () => {
      const secret = "tg-secret_0123456789";
      const bot = await newIntegration(org, {
        provider: "telegram",
        name: `Bot ${uniq()}`,
        bot_token: "123456:ABCdef_ghi-jkl",
        webhook_secret: secret,
      });
      const id = 700_000 + ++seq;
      const u = new URL(bot.webhook_url);
      const r = await call("POST", u.pathname, {
        raw: JSON.stringify({
          update_id: id,
          message: { message_id: id, chat: { id: 4242, type: "private" }, date: 1_700_000_000, text: "hi" },
        }),
        contentType: "application/json",
        headers: { "x-telegram-bot-api-secret-token": secret },
        env: { JOBS: jobs.queue, WEBHOOKS: jobs.queue },
      });
      expect(r.status, r.text).toBe(200);
      // The route put the delivery on the (stub) queue; the consumer's first step stores it.
      const ingest = jobs.sent.findLast((m) => (m as { type?: string }).type === "webhook.ingest") as Extract<
        JobMessage,
        { type: "webhook.ingest" }
      >;
      await services.webhooks.storeQueued([{ orgId: ingest.orgId, event: ingest.event }], log, {
        process: false,
      });
      return ingest.event.id;
    },
  },
  "event.deliver": {
    kind: (s) => s.events.deliverJob,
    table: "event_deliveries",
    done: { status: "succeeded" },
    create: async () => {
      const endpoint = await call("POST", "/api/event-endpoints", {
        key: org.adminKey,
        body: { url: `${BASE}/sandbox/_receiver/b-${crypto.randomUUID()}`, event_types: ["lead.created"] },
      });
      expect(endpoint.status, endpoint.text).toBe(201);
      await services.events.emit(org.orgId, "lead.created", { lead_id: uniq() });
      const row = await env.DB.prepare("SELECT id FROM event_deliveries WHERE endpoint_id = ?")
        .bind(endpoint.json.endpoint.id)
        .first<{ id: string }>();
      return String(row?.id);
    },
  },
  "sync.page": {
    kind: (s) => s.sync.pageJob,
    table: "sync_jobs",
    // A sync job counts attempts per page: the next page starts again at none.
    done: { status: "running", pages_done: 1, attempts: 0 },
    create: async () => {
      const token = `pat-na1-matrix${uniq()}`;
      const integration = await newIntegration(org, {
        provider: "hubspot",
        private_app_token: token,
        name: `hs ${uniq()}`,
      });
      await shapeData("hubspot", "contacts", { account: token, count: 5 });
      const row = await services.integrations.get(org.orgId, integration.id);
      const { job } = await services.sync.start(row, "contacts", { trigger: "manual", actor: "test" });
      return job.id;
    },
  },
  "record.push": {
    kind: (s) => s.sync.pushJob,
    table: "record_pushes",
    done: { status: "succeeded" },
    create: async () => {
      const integration = await newIntegration(org, {
        provider: "sql_accounting",
        name: `sql ${uniq()}`,
        access_key: `${crypto.randomUUID().replaceAll("-", "")}.sql.my/APIUSER`,
        api_key: "sql-secret-key-not-real",
      });
      const r = await call("POST", `/api/integrations/${integration.id}/records/customers`, {
        key: org.adminKey,
        body: { data: { name: "Nadia Rahman", email: "nadia@example.com" } },
        env: { JOBS: jobs.queue },
      });
      expect(r.status, r.text).toBe(202);
      return r.json.push.id;
    },
  },
};

// ---- the faults ------------------------------------------------------------------------------

type Fault = "crash" | "429" | "5xx" | "4xx";
type Step = "run" | Fault;

const RETRY_AFTER = 30;
const answer = (status: number, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
  text: "",
  data: undefined,
});
const FAULTS: Record<Fault, () => Error> = {
  crash: () => new TypeError("Cannot read properties of undefined (reading 'id')"),
  "429": () => errorFrom(answer(429, { "retry-after": String(RETRY_AFTER) }), "Too Many Requests"),
  "5xx": () => errorFrom(answer(503), "Service Unavailable"),
  "4xx": () => errorFrom(answer(400), "Bad Request"),
};

/**
 * A kind whose handler meets `steps` in order (then runs for real), and can be made to stall
 * at its next call until released.
 */
class Rig {
  readonly kind: AnyJobKind;
  readonly engine: JobEngine;
  steps: Step[] = [];
  /** Handler calls, and those that did the kind's real work. */
  calls = 0;
  real = 0;
  /** When set, the handler renews its lease from this time first (and says whether it could). */
  renewAt?: number;
  renewed?: boolean;
  private stall?: { reached: () => void; released: Promise<Step> };

  constructor(readonly base: AnyJobKind) {
    this.engine = new JobEngine(services.db, jobs.queue, () => 0.5);
    this.kind = {
      ...base,
      run: async (job, shared) => {
        this.calls++;
        if (this.renewAt !== undefined) this.renewed = await job.renew(this.renewAt);
        let step = this.steps.shift() ?? "run";
        const stall = this.stall;
        if (stall) {
          this.stall = undefined;
          stall.reached();
          step = await stall.released;
        }
        if (step !== "run") throw FAULTS[step]();
        this.real++;
        return base.run(job, shared);
      },
    };
  }

  /** The next handler call waits; `release(step)` lets it go on to meet `step`. */
  stallNext() {
    let reached!: () => void;
    const at = new Promise<void>((r) => {
      reached = r;
    });
    let release!: (step: Step) => void;
    const released = new Promise<Step>((r) => {
      release = r;
    });
    this.stall = { reached, released };
    return { reached: at, release };
  }

  run(id: string, now: number): Promise<RunResult> {
    return this.engine.run(this.kind, org.orgId, [id], log, now, this.message(id));
  }

  /** The queue message naming the row (a fresh job's: the sync page is its first). */
  message(id: string) {
    return this.kind.messages(org.orgId, [id])[0];
  }
}

const rowOf = async (table: string, id: string) =>
  (await env.DB.prepare(`SELECT * FROM ${table} WHERE id = ?`).bind(id).first()) as Record<string, unknown>;

const deadLettersOf = async (id: string) =>
  (await call("GET", `/api/dead-letters?ref_id=${id}`, { key: org.adminKey })).json.dead_letters as Record<
    string,
    unknown
  >[];

const countersOf = async (type: string) =>
  ((await call("GET", "/api/jobs/stats", { key: org.adminKey })).json.kinds[type] ?? {}) as Record<
    string,
    number
  >;

/** The messages sent to the queue since `from` that name `id`, with their delays. */
function sentFor(id: string, from: number) {
  const out: { body: unknown; delay: number | undefined }[] = [];
  for (let i = from; i < jobs.sent.length; i++)
    if (JSON.stringify(jobs.sent[i]).includes(id)) out.push({ body: jobs.sent[i], delay: jobs.delays[i] });
  return out;
}

// ---- the matrix ------------------------------------------------------------------------------

describe.each(Object.keys(FIXTURES))("%s", (type) => {
  const fx = FIXTURES[type] as Fixture;
  const setup = async () => {
    const rig = new Rig(fx.kind(services));
    const id = await fx.create();
    const queued = jobs.sent.length;
    return { rig, id, queued, policy: rig.kind.policy, t0: Date.now() };
  };
  const failedStatus = (rig: Rig) => rig.kind.failed({}, "").status;

  it("a crash mid-job: the row waits again, a retry is scheduled after the backoff, then it is done once", async () => {
    const { rig, id, queued, policy, t0 } = await setup();
    rig.steps = ["crash"];
    const first = await rig.run(id, t0);
    const wait = retryDelaySeconds(policy, 1, undefined, () => 0.5);
    expect(first).toEqual({
      action: "retry",
      delaySeconds: wait,
      reason: "internal error while running the job",
    });
    const waiting = await rowOf(fx.table, id);
    expect(rig.kind.waiting).toContain(waiting.status);
    expect(waiting).toMatchObject({ attempts: 1, lease_until: null });
    expect(sentFor(id, queued)).toEqual([{ body: rig.message(id), delay: wait }]);

    expect(await rig.run(id, t0 + wait * 1000)).toMatchObject({ action: "ack", status: fx.done.status });
    expect(await rowOf(fx.table, id)).toMatchObject({ attempts: 2, lease_until: null, ...fx.done });
    expect(rig.real).toBe(1);
    expect(await deadLettersOf(id)).toEqual([]);
    expect(await countersOf(type)).toMatchObject({ crashed: 1, succeeded: 1 });
  });

  it("a duplicate delivery: the copy that comes while the job runs waits, the one after it is done does nothing", async () => {
    const { rig, id, queued, t0 } = await setup();
    const stalled = rig.stallNext();
    const first = rig.run(id, t0);
    await stalled.reached;
    const copy = await rig.run(id, t0 + 1_000);
    expect(copy).toMatchObject({ action: "retry" });
    // Looked at again once the first delivery's lease runs out.
    const [again] = sentFor(id, queued);
    expect(again?.body).toEqual(rig.message(id));
    expect(again?.delay).toBeGreaterThanOrEqual(Math.floor((rig.kind.leaseMs - 1_000) / 1000));
    stalled.release("run");
    expect(await first).toMatchObject({ action: "ack", status: fx.done.status });
    const done = await rowOf(fx.table, id);
    expect(await rig.run(id, t0 + rig.kind.leaseMs + 2_000)).toMatchObject({ action: "ack" });
    expect(await rowOf(fx.table, id)).toEqual(done);
    expect(done).toMatchObject({ attempts: 1, ...fx.done });
    expect(rig.calls).toBe(1);
    expect(await countersOf(type)).toEqual({ succeeded: 1 });
  });

  it("an expired lease and a late finish: the re-drive finds the row, another worker does it, the late one changes nothing", async () => {
    const { rig, id, t0 } = await setup();
    const stalled = rig.stallNext();
    const a = rig.run(id, t0);
    await stalled.reached;
    const cron = stubQueue();
    const redrive = (at: number) => new JobEngine(services.db, cron.queue).redrive(rig.kind, at);
    // Held under a lease: the re-drive leaves it alone.
    await redrive(t0 + 1_000);
    expect(cron.sent).not.toContainEqual(rig.message(id));
    // The lease ran out: the re-drive sends it again, and another worker finishes it.
    const later = t0 + rig.kind.leaseMs + 1;
    await redrive(later);
    expect(cron.sent).toContainEqual(rig.message(id));
    expect(await rig.run(id, later)).toMatchObject({ action: "ack", status: fx.done.status });
    const done = await rowOf(fx.table, id);
    expect(done).toMatchObject({ attempts: 2, lease_until: null, ...fx.done });
    // The stalled worker comes back with a failure of its own: nothing of it is written.
    stalled.release("4xx");
    expect(await a).toEqual({ action: "ack", status: "superseded" });
    expect(await rowOf(fx.table, id)).toEqual(done);
    expect(await deadLettersOf(id)).toEqual([]);
    expect(await countersOf(type)).toEqual({ succeeded: 1, superseded: 1 });
  });

  it("a lease renewed by its worker is not taken over, and the worker's finish is stored", async () => {
    const { rig, id, t0 } = await setup();
    rig.renewAt = t0 + rig.kind.leaseMs - 1_000;
    const stalled = rig.stallNext();
    const a = rig.run(id, t0);
    await stalled.reached;
    expect(rig.renewed).toBe(true);
    // Past the first lease, within the renewed one: another worker cannot take the job.
    const other = await rig.run(id, t0 + rig.kind.leaseMs + 1);
    expect(other).toMatchObject({ action: "retry" });
    stalled.release("run");
    expect(await a).toMatchObject({ action: "ack", status: fx.done.status });
    expect(await rowOf(fx.table, id)).toMatchObject({ attempts: 1, lease_until: null, ...fx.done });
    expect(rig.calls).toBe(1);
    expect(await countersOf(type)).toEqual({ succeeded: 1 });
  });

  it("a 429 with Retry-After: retried after it, not before, and done", async () => {
    const { rig, id, queued, policy, t0 } = await setup();
    rig.steps = ["429"];
    const first = await rig.run(id, t0);
    expect(first).toMatchObject({ action: "retry" });
    const wait = (first as { delaySeconds: number }).delaySeconds;
    if (policy.retryAfter === "at-least") expect(wait).toBeGreaterThanOrEqual(RETRY_AFTER);
    else expect(wait).toBe(RETRY_AFTER);
    const waiting = await rowOf(fx.table, id);
    expect(rig.kind.waiting).toContain(waiting.status);
    // A rate limit uses no attempt of a kind whose policy says so.
    expect(waiting).toMatchObject({ attempts: policy.rateLimitsAreFree ? 0 : 1, lease_until: null });
    expect(sentFor(id, queued)).toEqual([{ body: rig.message(id), delay: wait }]);

    // A delivery before the time (a duplicate, an early re-drive) runs nothing and waits on.
    const early = await rig.run(id, t0 + 10_000);
    expect(early).toMatchObject({ action: "retry" });
    expect((early as { delaySeconds: number }).delaySeconds).toBeGreaterThanOrEqual(wait - 11);
    expect(rig.calls).toBe(1);

    expect(await rig.run(id, t0 + wait * 1000)).toMatchObject({ action: "ack", status: fx.done.status });
    expect(await rowOf(fx.table, id)).toMatchObject({ ...fx.done, lease_until: null });
    expect(rig.real).toBe(1);
    expect(await deadLettersOf(id)).toEqual([]);
    expect(await countersOf(type)).toMatchObject({ retried: 1, succeeded: 1 });
  });

  it("a 5xx every time: retried on the kind's schedule until its attempts are used, then failed with a dead letter", async () => {
    const { rig, id, queued, policy, t0 } = await setup();
    rig.steps = Array.from({ length: policy.maxAttempts }, () => "5xx" as const);
    let now = t0;
    const waits: number[] = [];
    for (let attempt = 1; attempt < policy.maxAttempts; attempt++) {
      const r = await rig.run(id, now);
      const wait = retryDelaySeconds(policy, attempt, undefined, () => 0.5);
      expect(r).toEqual({ action: "retry", delaySeconds: wait, reason: "Service Unavailable (HTTP 503)" });
      waits.push(wait);
      now += wait * 1000;
    }
    expect(waits.every((w, i) => i === 0 || w >= (waits[i - 1] as number))).toBe(true);
    expect(sentFor(id, queued).map((s) => s.delay)).toEqual(waits);
    const last = await rig.run(id, now);
    const reason = `gave up after ${policy.maxAttempts} attempts: Service Unavailable (HTTP 503)`;
    expect(last).toEqual({ action: "dead-letter", reason });
    expect(await rowOf(fx.table, id)).toMatchObject({
      status: failedStatus(rig),
      attempts: policy.maxAttempts,
      lease_until: null,
    });
    expect(await deadLettersOf(id)).toEqual([
      expect.objectContaining({
        kind: type,
        ref_id: id,
        cause: "exhausted",
        reason,
        attempts: policy.maxAttempts,
      }),
    ]);
    expect(rig.real).toBe(0);
    expect(await countersOf(type)).toEqual({ retried: policy.maxAttempts - 1, dead_lettered: 1 });
    // Nothing more is scheduled, and a late copy of the message does nothing.
    expect(sentFor(id, queued)).toHaveLength(policy.maxAttempts - 1);
    expect(await rig.run(id, now + 60_000)).toMatchObject({ action: "ack" });
    expect(rig.calls).toBe(policy.maxAttempts);
  });

  it("a permanent 4xx: failed at once with a dead letter, no retry", async () => {
    const { rig, id, queued, t0 } = await setup();
    rig.steps = ["4xx"];
    expect(await rig.run(id, t0)).toEqual({ action: "dead-letter", reason: "Bad Request (HTTP 400)" });
    expect(await rowOf(fx.table, id)).toMatchObject({
      status: failedStatus(rig),
      attempts: 1,
      lease_until: null,
    });
    expect(await deadLettersOf(id)).toEqual([
      expect.objectContaining({
        kind: type,
        ref_id: id,
        cause: "permanent",
        reason: "Bad Request (HTTP 400)",
        attempts: 1,
      }),
    ]);
    expect(sentFor(id, queued)).toEqual([]);
    expect(rig.real).toBe(0);
    expect(await countersOf(type)).toEqual({ dead_lettered: 1 });
  });
});

// ---- the one backoff -------------------------------------------------------------------------

describe("retryDelaySeconds", () => {
  it("doubles from its base up to its cap, with jitter of ±20 % around it", () => {
    const policy = { maxAttempts: 10, baseSeconds: 5, capSeconds: 300 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelaySeconds(policy, n, undefined, () => 0.5))).toEqual([
      5, 10, 20, 40, 80, 160, 300, 300,
    ]);
    expect(retryDelaySeconds(policy, 4, undefined, () => 0)).toBe(32);
    expect(retryDelaySeconds(policy, 4, undefined, () => 1)).toBe(48);
  });

  it("takes a Retry-After instead of the schedule, or as its floor when the policy says at-least", () => {
    expect(retryDelaySeconds({ maxAttempts: 5 }, 1, 30)).toBe(30);
    expect(retryDelaySeconds({ maxAttempts: 5, retryAfter: "at-least" }, 1, 30, () => 0.5)).toBe(30);
    expect(
      retryDelaySeconds({ maxAttempts: 5, retryAfter: "at-least", schedule: [0, 600] }, 1, 30, () => 0.5),
    ).toBe(600);
  });

  it("never waits less than a second or longer than a queue can delay (12 h)", () => {
    expect(retryDelaySeconds({ maxAttempts: 5 }, 1, 0)).toBe(1);
    expect(retryDelaySeconds({ maxAttempts: 5 }, 1, 10 ** 9)).toBe(43_200);
    expect(retryDelaySeconds({ maxAttempts: 5, schedule: [0, 10 ** 6] }, 1, undefined, () => 0.5)).toBe(
      43_200,
    );
  });
});

// ---- the queue's own dead letters ------------------------------------------------------------

describe("the dead-letter queue", () => {
  it("a message the queue gave up on is a dead letter in D1 for each row it names; one that names no organization is only logged", async () => {
    const events = ["whe_1", "whe_2", "whe_3"];
    const batch = createMessageBatch(env.DEAD_LETTER_QUEUE, [
      {
        id: "dl-1",
        timestamp: new Date(),
        attempts: 10,
        body: { type: "webhook.process", orgId: org.orgId, eventIds: events },
      },
      { id: "dl-2", timestamp: new Date(), attempts: 1, body: { reason: "unparseable job", body: "{" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["dl-1", "dl-2"]);
    const listed = (await call("GET", "/api/dead-letters?kind=webhook.process", { key: org.adminKey })).json
      .dead_letters as Record<string, unknown>[];
    expect(listed.map((d) => d.ref_id).sort()).toEqual(events);
    for (const d of listed)
      expect(d).toMatchObject({
        cause: "queue",
        attempts: 10,
        reason: "the queue gave up on its webhook.process message after 10 deliveries",
      });
    expect(await countersOf("webhook.process")).toEqual({ dead_lettered: 1 });
  });
});
