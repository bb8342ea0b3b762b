/** Sync test helpers: start a sync through the API, wait for its job on the real queue, read records. */
import { call, type TestOrg } from "../harness.ts";

export const TERMINAL = ["success", "partial", "failed"];

/** Shapes the sandbox's data of one account's entity (size, changes, deletions). */
export async function shapeData(provider: string, entity: string, body: Record<string, unknown>) {
  const r = await call("POST", `/sandbox/_data/${provider}/${entity}`, { body });
  if (r.status !== 200) throw new Error(`sandbox data: ${r.status} ${r.text}`);
  return r.json as {
    touched: number[];
    removed: number[];
    purged: number[];
    created: number[];
    size: number;
  };
}

/** Arms the sandbox to fail the provider's next `count` list calls with `status`. */
export async function armFault(provider: string, status: number, count = 1, retryAfter = 1) {
  const r = await call("POST", `/sandbox/_data/${provider}/_faults`, {
    body: { status, count, retry_after: retryAfter },
  });
  if (r.status !== 200) throw new Error(`sandbox fault: ${r.status} ${r.text}`);
}

export async function startSync(org: TestOrg, integrationId: string, entity: string, body?: unknown) {
  const r = await call("POST", `/api/integrations/${integrationId}/sync/${entity}`, {
    key: org.adminKey,
    body,
  });
  if (r.status !== 202 && r.status !== 200) throw new Error(`sync start: ${r.status} ${r.text}`);
  return r.json.job;
}

/** Polls a job until it is finished (or `statuses`). */
export async function waitForJob(
  org: TestOrg,
  integrationId: string,
  jobId: string,
  statuses = TERMINAL,
  timeoutMs = 60_000,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call("GET", `/api/integrations/${integrationId}/sync-jobs/${jobId}`, {
      key: org.adminKey,
    });
    if (statuses.includes(r.json.job.status)) return r.json.job;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${r.json.job.status}: ${r.text}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Polls a push until it is finished (the real queue runs it). */
export async function waitForPush(org: TestOrg, integrationId: string, pushId: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call("GET", `/api/integrations/${integrationId}/pushes/${pushId}`, { key: org.adminKey });
    if (["succeeded", "failed"].includes(r.json.push.status)) return r.json.push;
    if (Date.now() > until) throw new Error(`push ${pushId} still ${r.json.push.status}: ${r.text}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

export async function syncAndWait(org: TestOrg, integrationId: string, entity: string, body?: unknown) {
  const job = await startSync(org, integrationId, entity, body);
  return waitForJob(org, integrationId, job.id);
}

/** Every record of an entity, walking the records API's pages. */
export async function allRecords(org: TestOrg, integrationId: string, entity: string, query = "") {
  const out: { id: string; external_id: string; data: Record<string, unknown>; deleted_at: string | null }[] =
    [];
  let cursor: string | null = null;
  for (;;) {
    const q = `?limit=200${query}${cursor ? `&cursor=${cursor}` : ""}`;
    const r = await call("GET", `/api/integrations/${integrationId}/records/${entity}${q}`, {
      key: org.adminKey,
    });
    if (r.status !== 200) throw new Error(`records: ${r.status} ${r.text}`);
    out.push(...r.json.records);
    cursor = r.json.next_cursor;
    if (!cursor) return out;
  }
}
