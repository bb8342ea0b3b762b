/**
 * Events to the host app (SPEC §10): per-organization endpoints, events fanned out to the
 * endpoints that subscribe to their type, delivered from the queue signed the Standard Webhooks
 * way (providers.md §20), with a log of every attempt. The parts live in ./events/: endpoints
 * (and their secrets), emit, delivery (the queue consumer's work), the log and signing.
 */
import type { Settings } from "../config.ts";
import type { Vault } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import type { Shards } from "../db/shards.ts";
import type { HttpClient } from "../providers/runtime.ts";
import type { Activity } from "./activity.ts";
import { EventDelivery } from "./events/delivery.ts";
import { EventEmitter } from "./events/emit.ts";
import { EventEndpoints } from "./events/endpoints.ts";
import { EventLog } from "./events/log.ts";

export type { DeliveryWithEvent } from "./events/log.ts";
export {
  type EmitOptions,
  type EndpointInput,
  type EndpointPatch,
  EVENT_TYPES,
  type EventType,
  MAX_DELIVERY_ATTEMPTS,
  MAX_ENDPOINTS,
  RETRY_SCHEDULE,
  SECRET_GRACE_MS,
  TEST_EVENT_TYPE,
} from "./events/shared.ts";
export { eventBody, generateSecret, signStandardWebhook } from "./events/signing.ts";

/** The events service: one object over its parts, so callers keep one `services.events`. */
export class Events {
  private readonly endpoints: EventEndpoints;
  private readonly log: EventLog;
  private readonly emitter: EventEmitter;
  private readonly delivery: EventDelivery;

  constructor(
    db: Db,
    shards: Shards,
    activity: Activity,
    vault: () => Promise<Vault>,
    settings: Settings,
    http: HttpClient,
    jobs: Queue,
  ) {
    const deps = { db, shards, activity, vault, settings, http, jobs };
    this.endpoints = new EventEndpoints(deps);
    this.log = new EventLog(deps, this.endpoints);
    this.emitter = new EventEmitter(deps, this.endpoints, this.log);
    this.delivery = new EventDelivery(deps, this.endpoints);
  }

  /** Creates an endpoint; the answer holds its signing secret, which is never shown again. */
  createEndpoint: EventEndpoints["createEndpoint"] = (...a) => this.endpoints.createEndpoint(...a);
  listEndpoints: EventEndpoints["listEndpoints"] = (...a) => this.endpoints.listEndpoints(...a);
  /** The organization's endpoint `id`; another tenant's or a missing one is a 404. */
  getEndpoint: EventEndpoints["getEndpoint"] = (...a) => this.endpoints.getEndpoint(...a);
  /** Updates an endpoint. Enabling clears the reason it was disabled. */
  updateEndpoint: EventEndpoints["updateEndpoint"] = (...a) => this.endpoints.updateEndpoint(...a);
  /** Deletes an endpoint with its delivery log; its queued deliveries are dropped unsent. */
  deleteEndpoint: EventEndpoints["deleteEndpoint"] = (...a) => this.endpoints.deleteEndpoint(...a);
  /** Replaces the signing secret; the previous one keeps signing during the grace. */
  rotateSecret: EventEndpoints["rotateSecret"] = (...a) => this.endpoints.rotateSecret(...a);

  /** Records an event and queues a delivery to every enabled endpoint that wants its type. */
  emit: EventEmitter["emit"] = (...a) => this.emitter.emit(...a);
  /** Emits several events of one organization (a queue job's worth). */
  emitMany: EventEmitter["emitMany"] = (...a) => this.emitter.emitMany(...a);
  /** Sends a test event to one endpoint (whatever its filter). */
  sendTest: EventEmitter["sendTest"] = (...a) => this.emitter.sendTest(...a);

  /** The organization's events, newest first. */
  listEvents: EventLog["listEvents"] = (...a) => this.log.listEvents(...a);
  /** An endpoint's deliveries, newest first, each with its event type and attempts so far. */
  listDeliveries: EventLog["listDeliveries"] = (...a) => this.log.listDeliveries(...a);
  /** One delivery of the organization's endpoint; anything else is a 404. */
  getDelivery: EventLog["getDelivery"] = (...a) => this.log.getDelivery(...a);
  /** Every attempt of a delivery, oldest first. */
  listAttempts: EventLog["listAttempts"] = (...a) => this.log.listAttempts(...a);
  /** Delivers again: the delivery starts a new round of the retry schedule at once. */
  redeliver: EventLog["redeliver"] = (...a) => this.log.redeliver(...a);

  /** One delivery attempt (the queue consumer's work); idempotent. */
  deliver: EventDelivery["deliver"] = (...a) => this.delivery.deliver(...a);
  /** Re-enqueues deliveries the queue lost; for a scheduled job, idempotent. */
  redrive: EventDelivery["redrive"] = (...a) => this.delivery.redrive(...a);
  /** The `event.deliver` job kind. */
  get deliverJob(): EventDelivery["deliverJob"] {
    return this.delivery.deliverJob;
  }
}
