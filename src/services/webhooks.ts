/**
 * Inbound provider webhooks: verified at the edge, stored once, processed on the queue. The
 * parts live in ./webhooks/: ingest (receiving and verifying), processing (the queue job),
 * effects (what an event does to messages and contacts) and logs (reading, replay, recovery).
 */
import type { Db } from "../db/client.ts";
import type { Shards } from "../db/shards.ts";
import type { Logger } from "../lib/log.ts";
import type { Activity } from "./activity.ts";
import type { Connections } from "./connections.ts";
import type { Events } from "./events.ts";
import type { Integrations } from "./integrations.ts";
import { WebhookEffects } from "./webhooks/effects.ts";
import { WebhookIngest } from "./webhooks/ingest.ts";
import { type Delivery, WebhookIntake } from "./webhooks/intake.ts";
import { WebhookLog } from "./webhooks/logs.ts";
import { WebhookProcessing } from "./webhooks/processing.ts";
import { MAX_EVENTS_PER_JOB, type WebhookOutbound, type WebhooksDeps } from "./webhooks/shared.ts";

export {
  BODY_DEDUPE_WINDOW_MS,
  type EventFilter,
  MAX_EVENTS_PER_JOB,
  MAX_PROCESS_ATTEMPTS,
  MAX_WEBHOOK_BYTES,
} from "./webhooks/shared.ts";

/** The webhooks service: one object over its parts, so callers keep one `services.webhooks`. */
export class Webhooks {
  private readonly ingest: WebhookIngest;
  private readonly processing: WebhookProcessing;
  private readonly log: WebhookLog;
  private readonly intake: WebhookIntake;

  constructor(
    db: Db,
    shards: Shards,
    activity: Activity,
    integrations: Integrations,
    connections: Connections,
    events: Events,
    jobs: Queue,
    /** Where verified deliveries go before they are stored (the WEBHOOKS queue). */
    ingestQueue: Queue,
    /** A deployment setting by name (the environment's), for providers' `deploymentSecrets`. */
    setting: (name: string) => string | undefined,
    outbound?: WebhookOutbound,
    /** Starts an incremental sync a notification asks for (the sync service's `start`). */
    startSync?: WebhooksDeps["startSync"],
  ) {
    const deps = {
      db,
      shards,
      activity,
      integrations,
      connections,
      events,
      jobs,
      ingestQueue,
      setting,
      startSync,
      ...(outbound ? { outbound } : {}),
    };
    this.ingest = new WebhookIngest(deps);
    this.processing = new WebhookProcessing(deps, new WebhookEffects(deps));
    this.log = new WebhookLog(deps);
    this.intake = new WebhookIntake(db, shards);
  }

  /**
   * A queue batch's `webhook.ingest` messages: stored together (one multi-row insert), then the
   * new ones processed at once, one job engine run per organization. Answers how many were
   * stored and how many were repeats.
   */
  async storeQueued(
    deliveries: Delivery[],
    log: Logger,
    { process = true }: { process?: boolean } = {},
  ): Promise<{ stored: number; duplicates: number }> {
    const out = await this.intake.store(deliveries, log);
    let stored = 0;
    for (const [orgId, ids] of out.toProcess) {
      stored += ids.length;
      if (!process) continue;
      for (let i = 0; i < ids.length; i += MAX_EVENTS_PER_JOB)
        await this.processing.process(orgId, ids.slice(i, i + MAX_EVENTS_PER_JOB), log);
    }
    return { stored, duplicates: out.duplicates };
  }

  /** A delivery to an integration's own URL (`/webhooks/{provider}/{id}`, or 003 with `integration_id`). */
  receive: WebhookIngest["receive"] = (...a) => this.ingest.receive(...a);
  /** A delivery to an organization-wide URL (001's `/webhook?org_id=`, 003 with `org_id`). */
  receiveForOrg: WebhookIngest["receiveForOrg"] = (...a) => this.ingest.receiveForOrg(...a);

  /** One queue delivery of `webhook.process`: a few events of one organization. */
  process: WebhookProcessing["process"] = (...a) => this.processing.process(...a);

  /** The organization's stored events, newest first, filtered. */
  list: WebhookLog["list"] = (...a) => this.log.list(...a);
  /** One stored event of the integration; anything else is a 404. */
  get: WebhookLog["get"] = (...a) => this.log.get(...a);
  /** Processes a stored event again: it goes back on the queue. */
  replay: WebhookLog["replay"] = (...a) => this.log.replay(...a);
  /** Re-enqueues events nobody is working on (for the minutely cron). */
  redrive: WebhookProcessing["redrive"] = (...a) => this.processing.redrive(...a);
  /** The `webhook.process` job kind. */
  get processJob(): WebhookProcessing["processJob"] {
    return this.processing.processJob;
  }
}
