/**
 * The per-isolate cache of webhook targets (an integration and its decrypted secrets).
 * Receiving webhooks is hot and integrations change rarely: an entry serves for TARGET_TTL_MS,
 * and every write to an integration in this isolate drops its entry at once.
 */
import type { IntegrationRow } from "../db/schema.ts";

/** How long a looked-up integration and its secrets serve webhooks before they are read again. */
export const TARGET_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

export interface Target {
  row: IntegrationRow;
  secrets: Record<string, string>;
  until: number;
}

const targets = new Map<string, Target>();

export function cachedTarget(integrationId: string): Target | undefined {
  const t = targets.get(integrationId);
  if (t && t.until > Date.now()) return t;
  targets.delete(integrationId);
  return undefined;
}

export function cacheTarget(row: IntegrationRow, secrets: Record<string, string>): Target {
  const target = { row, secrets, until: Date.now() + TARGET_TTL_MS };
  if (targets.size >= MAX_ENTRIES) targets.clear();
  targets.set(row.id, target);
  return target;
}

/** Drops a cached webhook target after its integration changed. */
export function forgetWebhookTarget(integrationId: string): void {
  targets.delete(integrationId);
}

/** Drops the cached webhook targets of an organization (deleted). */
export function forgetOrgWebhookTargets(orgId: string): void {
  for (const [id, t] of targets) if (t.row.orgId === orgId) targets.delete(id);
}
