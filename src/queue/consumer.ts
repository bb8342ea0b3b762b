/**
 * The jobs queue consumer: each message is handled on its own, acked on success, retried with
 * capped exponential backoff on failure (the queue dead-letters it after max_retries), and a
 * message that does not parse is dead-lettered at once with its reason.
 */
import { createLogger, type Logger } from "../lib/log.ts";
import { createServices, type Services } from "../services/index.ts";
import { JobMessage, type JobResult } from "./messages.ts";

const BATCH = 100;

export const backoffSeconds = (attempts: number) => Math.min(300, 2 ** Math.max(0, attempts - 1) * 5);

/** What to do with the queue message: acknowledged, or retried after a delay. */
type Outcome = { retryInSeconds?: number };

async function handle(job: JobMessage, services: Services, env: Env, log: Logger): Promise<Outcome> {
  switch (job.type) {
    case "message.send":
      // The job engine stores the outcome, schedules a retry and records a dead letter itself.
      await services.messages.process(job.orgId, job.messageId, log);
      return {};
    case "webhook.process": {
      const r = await services.webhooks.process(job.orgId, job.eventIds, log);
      return settle(r, job, env, log);
    }
    case "event.deliver":
      await services.events.deliver(job.orgId, job.deliveryId, log);
      return {};
    case "sync.page":
      await services.sync.processPage(job.orgId, job.jobId, job.page, log);
      return {};
    case "record.push":
      await services.sync.processPush(job.orgId, job.pushId, log);
      return {};
    case "vault.rewrap": {
      const vault = await services.vault();
      const r = await vault.rewrapBatch(BATCH);
      log.info("vault rewrap batch", r);
      if (r.rewrapped > 0 && r.remaining > 0)
        await env.JOBS.send({ type: "vault.rewrap" } satisfies JobMessage);
      return {};
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
      return {};
    }
  }
}

/** The queue outcome of a job that reports ack, retry or dead-letter. */
async function settle(r: JobResult, job: JobMessage, env: Env, log: Logger): Promise<Outcome> {
  if (r.action === "retry") {
    log.warn(`${job.type} will be retried`, { in_seconds: r.delaySeconds, reason: r.reason });
    return { retryInSeconds: r.delaySeconds };
  }
  if (r.action === "dead-letter") {
    log.error(`${job.type} dead-lettered`, { reason: r.reason });
    await env.DLQ.send({ ...job, reason: r.reason });
  }
  return {};
}

/** Handles every message of a batch concurrently; each is acked or retried on its own. */
export async function consumeJobs(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(batch.messages.map((msg) => consumeOne(msg, batch.queue, env)));
}

async function consumeOne(msg: Message<unknown>, queue: string, env: Env): Promise<void> {
  const log = createLogger({ job_id: msg.id, queue, attempt: msg.attempts });
  const parsed = JobMessage.safeParse(msg.body);
  if (!parsed.success) {
    log.error("unparseable job, dead-lettering", { issues: parsed.error.issues.map((i) => i.message) });
    await env.DLQ.send({ reason: "unparseable job", body: msg.body });
    msg.ack();
    return;
  }
  try {
    const outcome = await handle(parsed.data, createServices(env, msg.id), env, log);
    if (outcome.retryInSeconds !== undefined) msg.retry({ delaySeconds: outcome.retryInSeconds });
    else msg.ack();
  } catch (e) {
    log.error("job failed, will retry", {
      type: parsed.data.type,
      reason: e instanceof Error ? e.message : String(e),
    });
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts) });
  }
}

/** Dead letters: recorded in the log with their reason; nothing is dropped silently. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>): Promise<void> {
  for (const msg of batch.messages) {
    createLogger({ job_id: msg.id, queue: batch.queue }).error("dead letter", {
      body: msg.body,
      attempts: msg.attempts,
    });
    msg.ack();
  }
}
