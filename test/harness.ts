/** Shared test helpers: requests through the worker's own fetch handler, organizations, keys. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, vi } from "vitest";
import { createApp } from "../src/app.ts";
import worker from "../src/index.ts";
import type { Logger } from "../src/lib/log.ts";
import { openApiDocument } from "../src/openapi/index.ts";
import type { JobMessage } from "../src/queue/messages.ts";
import type { Services } from "../src/services/index.ts";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
export const BASE = "https://hub.test";

/**
 * The OpenAPI document the routes describe (what `npm run openapi` writes to public/openapi.json,
 * which `npm run lint` and test/openapi.test.ts check is current).
 */
// biome-ignore lint/suspicious/noExplicitAny: a JSON document, read by each test its own way.
export const apiDocument = (): any => JSON.parse(JSON.stringify(openApiDocument(createApp())));

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  /** A raw body sent as is (with `contentType`). */
  raw?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
  /** Runs the request with these bindings replaced (another key ring, a stub queue, ...). */
  env?: Partial<Env>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  json: any;
}

export async function call(method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const headers = new Headers(opts.headers);
  if (opts.key) headers.set("authorization", `Bearer ${opts.key}`);
  let body: BodyInit | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    if (opts.contentType) headers.set("content-type", opts.contentType);
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers.set("content-type", opts.contentType ?? "application/json");
  }
  const request = new Request(`${BASE}${path}`, { method, headers, body });
  let res: Response;
  if (opts.env) {
    const ctx = createExecutionContext();
    res = await worker.fetch(request, { ...env, ...opts.env } as Env, ctx);
    await waitOnExecutionContext(ctx);
  } else {
    res = await exports.default.fetch(request);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface TestOrg {
  orgId: string;
  slug: string;
  adminKey: string;
  memberKey: string;
}

let n = 0;

/** A fresh organization with an admin key and a member key. */
export async function newOrg(name = `Org ${++n}`): Promise<TestOrg> {
  const created = await call("POST", "/admin/organizations", { key: ADMIN_TOKEN, body: { name } });
  if (created.status !== 201) throw new Error(`org create failed: ${created.status} ${created.text}`);
  const orgId = created.json.organization.id as string;
  const member = await call("POST", `/admin/organizations/${orgId}/api-keys`, {
    key: ADMIN_TOKEN,
    body: { role: "member", name: "reader" },
  });
  if (member.status !== 201) throw new Error(`member key failed: ${member.status} ${member.text}`);
  return {
    orgId,
    slug: created.json.organization.slug,
    adminKey: created.json.api_key,
    memberKey: member.json.api_key,
  };
}

/** Creates an integration through the REST API and returns its view. */
export async function newIntegration(org: TestOrg, body: Record<string, unknown>) {
  const r = await call("POST", "/api/integrations", { key: org.adminKey, body });
  if (r.status !== 201) throw new Error(`integration create failed: ${r.status} ${r.text}`);
  return r.json.integration;
}

/** What the sandbox accepted, newest last (optionally of one provider). */
export async function sandboxInbox(provider?: string) {
  const r = await call("GET", `/sandbox/_inbox${provider ? `?provider=${provider}` : ""}`);
  return r.json.messages as {
    id: string;
    provider: string;
    kind: string;
    to: string;
    body: Record<string, unknown>;
  }[];
}

/** Polls a message until its status is one of `statuses` (the real queue delivers it). */
export async function waitForMessage(
  org: TestOrg,
  id: string,
  statuses = ["sent", "failed", "delivered"],
  timeoutMs = 15_000,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call("GET", `/api/messages/${id}`, { key: org.adminKey });
    if (statuses.includes(r.json.message.status)) return r.json.message;
    if (Date.now() > until) throw new Error(`message ${id} still ${r.json.message.status}: ${r.text}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Calls `read` until `done` holds for its answer (work on the real queue finishing), and answers it. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`still not done: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/**
 * The integration's stored webhook events once there are at least `count` (a verified delivery
 * goes onto the real queue first; its consumer stores it a moment later), newest first.
 */
export async function storedWebhookEvents(
  org: TestOrg,
  integrationId: string,
  count: number,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call("GET", `/api/integrations/${integrationId}/webhook-events`, { key: org.adminKey });
    const events = (r.json?.events ?? []) as Record<string, unknown>[];
    if (events.length >= count) return events;
    if (Date.now() > until) throw new Error(`${events.length} of ${count} webhook events stored: ${r.text}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** A queue binding that records what is sent instead of delivering it. */
export function stubQueue() {
  const sent: unknown[] = [];
  /** The delay each sent message asked for (seconds; undefined: at once), by index in `sent`. */
  const delays: (number | undefined)[] = [];
  const queue = {
    send: async (body: unknown, opts?: { delaySeconds?: number }) => {
      sent.push(body);
      delays.push(opts?.delaySeconds);
    },
    sendBatch: async (items: Iterable<{ body: unknown; delaySeconds?: number }>) => {
      for (const m of items) {
        sent.push(m.body);
        delays.push(m.delaySeconds);
      }
    },
  } as unknown as Queue;
  return { sent, delays, queue };
}

/** A logger that says nothing, for calling services directly. */
export const quietLog = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => quietLog,
} as unknown as Logger;

/**
 * Posts a Telegram update to a bot integration's webhook URL with its secret token, the queues
 * stubbed by `queue`: the route answers once the delivery is on that (stub) webhooks queue.
 */
export async function postTelegramUpdate(webhookUrl: string, secret: string, updateId: number, queue: Queue) {
  const r = await call("POST", new URL(webhookUrl).pathname, {
    raw: JSON.stringify({
      update_id: updateId,
      message: { message_id: updateId, chat: { id: 4242, type: "private" }, date: 1_700_000_000, text: "hi" },
    }),
    contentType: "application/json",
    headers: { "x-telegram-bot-api-secret-token": secret },
    env: { JOBS: queue, WEBHOOKS: queue },
  });
  if (r.status !== 200) throw new Error(`webhook answered ${r.status}: ${r.text}`);
}

/**
 * Does the webhooks consumer's first step for the deliveries a stub queue took (stores them,
 * pending, without processing); answers their event ids in the order they were sent.
 */
export async function storeQueuedWebhooks(services: Services, sent: unknown[]): Promise<string[]> {
  const ingests = sent.filter((m) => (m as { type?: string }).type === "webhook.ingest") as Extract<
    JobMessage,
    { type: "webhook.ingest" }
  >[];
  await services.webhooks.storeQueued(
    ingests.map((m) => ({ orgId: m.orgId, event: m.event })),
    quietLog,
    { process: false },
  );
  return ingests.map((m) => m.event.id);
}

/**
 * Collects what the worker logs through `console` during each test (for checks that a secret
 * never reaches a log line). Call at the top of a test file or describe block.
 */
export function captureConsole(): { lines: string[] } {
  const captured = { lines: [] as string[] };
  beforeEach(() => {
    captured.lines = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        captured.lines.push(args.map(String).join(" "));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());
  return captured;
}
