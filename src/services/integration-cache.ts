/**
 * The per-isolate cache of integrations: their rows and list pages, for the reads that may be a
 * few seconds old (GET one integration, a page of the list, routing a message), and webhook targets (a row with its decrypted
 * secrets, for receiving webhooks). Integrations change rarely and are read on every request:
 * an entry serves for its TTL, and every write to an integration in this isolate drops its
 * entries at once (`forgetIntegration`, called after the write). A row read while a write was
 * under way is not cached: each forget moves a generation on, and a row read before it is
 * refused by `cacheIntegration`. Requests that carry an `X-D1-Bookmark` skip the row cache.
 */
import type { IntegrationRow } from "../db/schema.ts";

/** How long a cached row serves reads (another isolate's write shows within this). */
export const ROW_TTL_MS = 10_000;
/** How long a looked-up integration and its secrets serve webhooks before they are read again. */
export const TARGET_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

export interface Target {
  row: IntegrationRow;
  secrets: Record<string, string>;
  until: number;
}

const rows = new Map<string, { row: IntegrationRow; until: number }>();
/** List pages by organization and query (the rows as read, without their ciphertext). */
const pages = new Map<string, { orgId: string; page: unknown; until: number }>();
const MAX_PAGES = 1_000;
const targets = new Map<string, Target>();
let generation = 0;

/** The generation to hand back to `cacheIntegration` with a row read from now on. */
export const integrationGeneration = () => generation;

/** The organization's integration `id`, if this isolate read it within ROW_TTL_MS. */
export function cachedIntegration(orgId: string, id: string): IntegrationRow | undefined {
  const e = rows.get(id);
  if (!e) return undefined;
  if (e.until > Date.now() && e.row.orgId === orgId) return e.row;
  if (e.until <= Date.now()) rows.delete(id);
  return undefined;
}

/** Keeps a row read at generation `readAt`, unless an integration was written since. */
export function cacheIntegration(row: IntegrationRow, readAt: number): void {
  if (readAt !== generation) return;
  if (rows.size >= MAX_ENTRIES) rows.clear();
  rows.set(row.id, { row, until: Date.now() + ROW_TTL_MS });
}

/** A list page this isolate read within ROW_TTL_MS for the organization and query `key`. */
export function cachedPage<P>(orgId: string, key: string): P | undefined {
  const e = pages.get(`${orgId}\n${key}`);
  if (!e) return undefined;
  if (e.until > Date.now()) return e.page as P;
  pages.delete(`${orgId}\n${key}`);
  return undefined;
}

/** Keeps a page read at generation `readAt`, unless an integration was written since. */
export function cachePage(orgId: string, key: string, page: unknown, readAt: number): void {
  if (readAt !== generation) return;
  if (pages.size >= MAX_PAGES) pages.clear();
  pages.set(`${orgId}\n${key}`, { orgId, page, until: Date.now() + ROW_TTL_MS });
}

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

/**
 * Drops what this isolate holds of an integration after it was created, written or deleted;
 * list pages go too (any of them may show it, or should).
 */
export function forgetIntegration(integrationId: string): void {
  generation++;
  rows.delete(integrationId);
  targets.delete(integrationId);
  pages.clear();
}

/** Drops what this isolate holds of an organization's integrations (deleted, or re-keyed). */
export function forgetOrgIntegrations(orgId: string): void {
  generation++;
  for (const [id, e] of rows) if (e.row.orgId === orgId) rows.delete(id);
  for (const [id, t] of targets) if (t.row.orgId === orgId) targets.delete(id);
  for (const [key, p] of pages) if (p.orgId === orgId) pages.delete(key);
}
