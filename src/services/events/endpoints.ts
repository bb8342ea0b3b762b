/**
 * An organization's event endpoints: create, read, update, delete and secret rotation. A
 * signing secret is shown once and stored encrypted by the vault with the endpoint id in the
 * associated data; after a rotation the previous secret also signs for 24 hours.
 */
import { and, count, desc, eq, lt } from "drizzle-orm";
import type { Settings } from "../../config.ts";
import type { Vault } from "../../crypto/vault.ts";
import { batchAcross, on } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import { type EventEndpointRow, eventAttempts, eventDeliveries, eventEndpoints } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import { prefixedId } from "../../lib/ids.ts";
import { checkOutboundUrl } from "../../lib/outbound.ts";
import { decodeCursor, pageOf } from "../../lib/pagination.ts";
import type { Activity } from "../activity.ts";
import {
  type EndpointInput,
  type EndpointPatch,
  type EventsDeps,
  forgetSubscribers,
  invalid,
  isoNow,
  MAX_ENDPOINTS,
  SECRET_GRACE_MS,
} from "./shared.ts";
import { generateSecret, type SigningSecrets } from "./signing.ts";

export class EventEndpoints {
  private readonly db: Db;
  private readonly shards: Shards;
  private readonly activity: Activity;
  private readonly vault: () => Promise<Vault>;
  private readonly settings: Settings;

  constructor(deps: EventsDeps) {
    this.db = deps.db;
    this.shards = deps.shards;
    this.activity = deps.activity;
    this.vault = deps.vault;
    this.settings = deps.settings;
  }

  /** An endpoint URL as stored: https (http only where private URLs are allowed), public host. */
  private checkUrl(raw: string): string {
    const check = checkOutboundUrl(raw, this.settings.ALLOW_PRIVATE_URLS);
    if (!check.ok) throw invalid("url", check.reason);
    if (check.url.protocol !== "https:" && !this.settings.ALLOW_PRIVATE_URLS)
      throw invalid("url", "must use https");
    return check.url.toString();
  }

  private async encryptSecrets(orgId: string, endpointId: string, secrets: SigningSecrets) {
    const vault = await this.vault();
    return vault.encrypt(orgId, endpointId, { ...secrets });
  }

  /** The endpoint's signing secrets, decrypted. */
  async secretsOf(row: EventEndpointRow): Promise<SigningSecrets> {
    const vault = await this.vault();
    const s = await vault.decrypt(row.orgId, row.id, row.secret, row.keyVersion);
    if (!s.secret) throw new Error(`event endpoint ${row.id} has no signing secret`);
    return s as unknown as SigningSecrets;
  }

  /** Creates an endpoint; the answer holds its signing secret, which is never shown again. */
  async createEndpoint(
    orgId: string,
    input: EndpointInput,
    actor: string,
  ): Promise<{ endpoint: EventEndpointRow; secret: string }> {
    const url = this.checkUrl(input.url);
    const [{ n = 0 } = {}] = await this.db
      .select({ n: count() })
      .from(eventEndpoints)
      .where(eq(eventEndpoints.orgId, orgId));
    if (n >= MAX_ENDPOINTS)
      throw new ApiError(
        ErrorCode.CONFLICT,
        `An organization can have at most ${MAX_ENDPOINTS} event endpoints`,
      );
    const id = prefixedId("ep");
    const secret = generateSecret();
    const enc = await this.encryptSecrets(orgId, id, { secret });
    const now = isoNow();
    forgetSubscribers(orgId);
    await this.db.batch([
      this.db.insert(eventEndpoints).values({
        id,
        orgId,
        url,
        description: input.description ?? null,
        eventTypes: input.eventTypes ?? null,
        secret: enc.ciphertext,
        keyVersion: enc.keyVersion,
        status: "enabled",
        createdAt: now,
        updatedAt: now,
      }),
      this.activity.auditStatement({
        orgId,
        actor,
        action: "event_endpoint.created",
        targetType: "event_endpoint",
        targetId: id,
        details: { url, event_types: input.eventTypes ?? null },
      }),
    ]);
    return { endpoint: await this.getEndpoint(orgId, id), secret };
  }

  async listEndpoints(orgId: string, f: { cursor?: string; limit: number }) {
    const after = decodeCursor(f.cursor);
    const rows = await this.db
      .select()
      .from(eventEndpoints)
      .where(and(eq(eventEndpoints.orgId, orgId), after ? lt(eventEndpoints.id, after) : undefined))
      .orderBy(desc(eventEndpoints.id))
      .limit(f.limit + 1);
    return pageOf(rows, f.limit);
  }

  /** The organization's endpoint `id`; another tenant's or a missing one is a 404. */
  async getEndpoint(orgId: string, id: string): Promise<EventEndpointRow> {
    const rows = await this.db
      .select()
      .from(eventEndpoints)
      .where(and(eq(eventEndpoints.orgId, orgId), eq(eventEndpoints.id, id)))
      .limit(1);
    if (!rows[0]) throw notFound("Event endpoint");
    return rows[0];
  }

  /** Updates an endpoint. Enabling clears the reason it was disabled. */
  async updateEndpoint(orgId: string, id: string, patch: EndpointPatch, actor: string) {
    const existing = await this.getEndpoint(orgId, id);
    const set: Partial<typeof eventEndpoints.$inferInsert> = {
      updatedAt: new Date(Math.max(Date.now(), Date.parse(existing.updatedAt) + 1)).toISOString(),
    };
    if (patch.url !== undefined) set.url = this.checkUrl(patch.url);
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.eventTypes !== undefined) set.eventTypes = patch.eventTypes;
    if (patch.status !== undefined && patch.status !== existing.status) {
      set.status = patch.status;
      set.disabledReason = patch.status === "enabled" ? null : `disabled by ${actor}`;
    }
    const changed = Object.keys(patch).filter((k) => patch[k as keyof EndpointPatch] !== undefined);
    forgetSubscribers(orgId);
    await this.db.batch([
      this.db
        .update(eventEndpoints)
        .set(set)
        .where(and(eq(eventEndpoints.orgId, orgId), eq(eventEndpoints.id, id))),
      this.activity.auditStatement({
        orgId,
        actor,
        action: "event_endpoint.updated",
        targetType: "event_endpoint",
        targetId: id,
        details: { changed, status: set.status ?? existing.status },
      }),
    ]);
    return this.getEndpoint(orgId, id);
  }

  /** Deletes an endpoint with its delivery log; its queued deliveries are dropped unsent. */
  async deleteEndpoint(orgId: string, id: string, actor: string): Promise<EventEndpointRow> {
    const existing = await this.getEndpoint(orgId, id);
    forgetSubscribers(orgId);
    // The endpoint first: its deliveries, in the data database, follow (one left behind fails
    // its attempt, "the endpoint no longer exists", and is never sent).
    const data = this.shards.of(orgId);
    await batchAcross(this.db, [
      this.db.delete(eventEndpoints).where(and(eq(eventEndpoints.orgId, orgId), eq(eventEndpoints.id, id))),
      on(
        data,
        data
          .delete(eventAttempts)
          .where(and(eq(eventAttempts.orgId, orgId), eq(eventAttempts.endpointId, id))),
      ),
      on(
        data,
        data
          .delete(eventDeliveries)
          .where(and(eq(eventDeliveries.orgId, orgId), eq(eventDeliveries.endpointId, id))),
      ),
      this.activity.auditStatement({
        orgId,
        actor,
        action: "event_endpoint.deleted",
        targetType: "event_endpoint",
        targetId: id,
        details: { url: existing.url },
      }),
    ]);
    return existing;
  }

  /**
   * Replaces the signing secret. The new secret is returned once; the previous one keeps signing
   * (as a second signature) until `previousExpiresAt`. The write is a compare-and-set on the
   * ciphertext, so a concurrent rotation or key re-encryption is never overwritten.
   */
  async rotateSecret(orgId: string, id: string, actor: string, now = Date.now()) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.getEndpoint(orgId, id);
      const current = await this.secretsOf(existing);
      const secret = generateSecret();
      const previousExpiresAt = new Date(now + SECRET_GRACE_MS).toISOString();
      const enc = await this.encryptSecrets(orgId, id, {
        secret,
        previous_secret: current.secret,
        previous_expires_at: previousExpiresAt,
      });
      const result = await this.db
        .update(eventEndpoints)
        .set({
          secret: enc.ciphertext,
          keyVersion: enc.keyVersion,
          updatedAt: new Date(Math.max(now, Date.parse(existing.updatedAt) + 1)).toISOString(),
        })
        .where(
          and(
            eq(eventEndpoints.orgId, orgId),
            eq(eventEndpoints.id, id),
            eq(eventEndpoints.secret, existing.secret),
          ),
        )
        .run();
      if (result.meta.changes !== 1) continue;
      await this.db.batch([
        this.activity.auditStatement({
          orgId,
          actor,
          action: "event_endpoint.secret_rotated",
          targetType: "event_endpoint",
          targetId: id,
          details: { previous_secret_expires_at: previousExpiresAt },
        }),
      ]);
      return { endpoint: await this.getEndpoint(orgId, id), secret, previousExpiresAt };
    }
    throw new ApiError(ErrorCode.CONFLICT, "The endpoint was changed by another request meanwhile; retry");
  }
}
