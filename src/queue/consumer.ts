/**
 * The jobs queue consumer: each message is handled on its own. The job engine stores a job's
 * outcome, schedules its retry as a new message and records its dead letter itself, so a
 * handled message is acknowledged. A throw means the store or the queue failed: the message is
 * retried after the engine's backoff (the queue dead-letters it after max_retries, and the
 * dead-letter consumer records that in D1). A message that does not parse is dead-lettered at
 * once with its reason.
 */
import { type RetryPolicy, retryDelaySeconds } from "../jobs/backoff.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { createServices, type Services } from "../services/index.ts";
import { JobMessage } from "./messages.ts";

const BATCH = 100;

/** A delivery whose handler threw (the store or the queue failing), retried by the queue. */
const REDELIVERY_POLICY: RetryPolicy = {
  maxAttempts: Number.POSITIVE_INFINITY,
  baseSeconds: 5,
  capSeconds: 300,
};

async function handle(job: JobMessage, services: Services, env: Env, log: Logger): Promise<void> {
  switch (job.type) {
    case "message.send":
      // The job engine stores the outcome, schedules a retry and records a dead letter itself.
      await services.messages.process(job.orgId, job.messageId, log);
      return;
    case "webhook.process":
      await services.webhooks.process(job.orgId, job.eventIds, log);
      return;
    case "webhook.ingest":
      await services.webhooks.storeQueued([{ orgId: job.orgId, event: job.event }], log);
      return;
    case "event.deliver":
      await services.events.deliver(job.orgId, job.deliveryId, log);
      return;
    case "sync.page":
      await services.sync.processPage(job.orgId, job.jobId, job.page, log);
      return;
    case "record.push":
      await services.sync.processPush(job.orgId, job.pushId, log);
      return;
    case "vault.rewrap": {
      const vault = await services.vault();
      const r = await vault.rewrapBatch(BATCH);
      log.info("vault rewrap batch", r);
      if (r.rewrapped > 0 && r.remaining > 0)
        await env.JOBS.send({ type: "vault.rewrap" } satisfies JobMessage);
      return;
    }
    case "vault.reencrypt": {
      const vault = await services.vault();
      const r = await vault.reencryptBatch(job.orgId, job.rotationId, 50);
      log.info("vault re-encrypt batch", {
        org_id: job.orgId,
        rotation: r.id,
        done: r.rowsDone,
        remaining: r.remaining,
        status: r.status,
      });
      if (r.status === "running") await env.JOBS.send(job);
      return;
    }
  }
}

type Ingest = Extract<JobMessage, { type: "webhook.ingest" }>;

/**
 * Handles a batch: its `webhook.ingest` messages together (one insert for all, then their
 * processing), every other message concurrently, each acked or retried on its own.
 */
export async function consumeJobs(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const ingests: { msg: Message<unknown>; job: Ingest }[] = [];
  const others: Promise<void>[] = [];
  for (const msg of batch.messages) {
    const parsed = JobMessage.safeParse(msg.body);
    if (!parsed.success) {
      const log = createLogger({ job_id: msg.id, queue: batch.queue, attempt: msg.attempts });
      log.error("unparseable job, dead-lettering", { issues: parsed.error.issues.map((i) => i.message) });
      others.push(env.DLQ.send({ reason: "unparseable job", body: msg.body }).then(() => msg.ack()));
    } else if (parsed.data.type === "webhook.ingest") ingests.push({ msg, job: parsed.data });
    else others.push(consumeOne(msg, parsed.data, batch.queue, env));
  }
  if (ingests.length) others.push(consumeIngests(ingests, batch.queue, env));
  await Promise.all(others);
}

async function consumeIngests(ingests: { msg: Message<unknown>; job: Ingest }[], queue: string, env: Env) {
  const first = ingests[0]?.msg as Message<unknown>;
  const log = createLogger({ job_id: first.id, queue, attempt: first.attempts, deliveries: ingests.length });
  try {
    await createServices(env, first.id).webhooks.storeQueued(
      ingests.map(({ job }) => ({ orgId: job.orgId, event: job.event })),
      log,
    );
    for (const { msg } of ingests) msg.ack();
  } catch (e) {
    log.error("webhooks not stored, will retry", { reason: e instanceof Error ? e.message : String(e) });
    for (const { msg } of ingests)
      msg.retry({ delaySeconds: retryDelaySeconds(REDELIVERY_POLICY, msg.attempts) });
  }
}

async function consumeOne(msg: Message<unknown>, job: JobMessage, queue: string, env: Env): Promise<void> {
  const log = createLogger({ job_id: msg.id, queue, attempt: msg.attempts });
  try {
    await handle(job, createServices(env, msg.id), env, log);
    msg.ack();
  } catch (e) {
    log.error("job failed, will retry", {
      type: job.type,
      reason: e instanceof Error ? e.message : String(e),
    });
    msg.retry({ delaySeconds: retryDelaySeconds(REDELIVERY_POLICY, msg.attempts) });
  }
}

/**
 * Dead letters of the queue: messages it gave up on after max_retries, and ones that did not
 * parse. Each is logged with its body and, where it names an organization's rows, stored in D1 as
 * a dead letter (`GET /api/dead-letters`); nothing is dropped silently. A webhook the queue could
 * not store is stored here, pending, for the minutely sweep to process. A failure to store it
 * leaves the message for the queue to deliver again.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const services = createServices(env, `dlq_${Date.now()}`);
  for (const msg of batch.messages) {
    const log = createLogger({ job_id: msg.id, queue: batch.queue });
    log.error("dead letter", { body: msg.body, attempts: msg.attempts });
    try {
      const ingest = JobMessage.safeParse(msg.body);
      if (ingest.success && ingest.data.type === "webhook.ingest") {
        const { orgId, event } = ingest.data;
        await services.webhooks.storeQueued([{ orgId, event }], log, { process: false });
      } else await services.jobs.recordQueueDeadLetter(msg.body, msg.attempts);
      msg.ack();
    } catch (e) {
      log.error("dead letter not stored, will retry", { reason: e instanceof Error ? e.message : String(e) });
      msg.retry();
    }
  }
}
