/**
 * The effects a webhook event has on the hub (each idempotent): a message's delivery status, an
 * inbound message, a Lead Ads lead stored as a contact, each announced to the host app.
 */
import { and, eq, inArray } from "drizzle-orm";
import { runGroup } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import {
  type IntegrationRow,
  type MessageRow,
  messages,
  records,
  type WebhookEventRow,
} from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import { prefixedId } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";
import { redactTokens } from "../../lib/redact.ts";
import type { Channel } from "../../providers/channels.ts";
import { getProvider } from "../../providers/registry.ts";
import type { DeliveryStatus, WebhookEffect } from "../../providers/webhooks.ts";
import type { Connections } from "../connections.ts";
import { isOptOut, Suppressions } from "../messages/suppressions.ts";
import { timelineStatement } from "../messages/timeline.ts";
import type { Emit, WebhooksDeps } from "./shared.ts";

/** Message statuses a delivery receipt may move a message from (status only moves forward). */
const MOVES_FROM: Record<DeliveryStatus, MessageRow["status"][]> = {
  sent: ["queued", "sending"],
  delivered: ["queued", "sending", "sent"],
  failed: ["queued", "sending", "sent"],
};

export class WebhookEffects {
  private readonly db: Db;
  private readonly shards: Shards;
  private readonly connections: Connections;
  private readonly suppressions: Suppressions;

  constructor(deps: WebhooksDeps) {
    this.db = deps.db;
    this.shards = deps.shards;
    this.connections = deps.connections;
    this.suppressions = new Suppressions(deps.db);
  }

  /** A delivery receipt: the message's status moves forward, announced as `message.status`. */
  async applyStatus(
    event: WebhookEventRow,
    e: Extract<WebhookEffect, { kind: "message.status" }>,
    key: string,
    emit: Emit,
  ): Promise<number> {
    const match = e.messageId
      ? eq(messages.id, e.messageId)
      : e.providerMessageId
        ? eq(messages.providerMessageId, e.providerMessageId)
        : undefined;
    if (!match) return 0;
    const at = new Date().toISOString();
    const updated = await this.db
      .update(messages)
      .set({
        status: e.status,
        updatedAt: at,
        ...(e.status === "delivered" ? { deliveredAt: at } : {}),
        ...(e.status === "failed"
          ? { lastError: redactTokens(e.error ?? `${event.provider}: ${e.detail}`) }
          : {}),
      })
      .where(
        and(
          eq(messages.orgId, event.orgId),
          eq(messages.integrationId, event.integrationId),
          eq(messages.direction, "outbound"),
          match,
          inArray(messages.status, MOVES_FROM[e.status]),
        ),
      )
      .returning({ id: messages.id, to: messages.to, channel: messages.channel });
    // The timeline keeps every receipt, also one that does not move the status (an open after
    // the delivery); keyed by the event, so processing it again adds nothing.
    const received = updated.length
      ? updated
      : await this.db
          .select({ id: messages.id, to: messages.to, channel: messages.channel })
          .from(messages)
          .where(
            and(
              eq(messages.orgId, event.orgId),
              eq(messages.integrationId, event.integrationId),
              eq(messages.direction, "outbound"),
              match,
              eq(messages.status, e.status),
            ),
          )
          .limit(10);
    if (received.length)
      await runGroup({
        db: this.db,
        statements: received.map((m) =>
          timelineStatement(this.db, { id: m.id, orgId: event.orgId }, "receipt", e.status, {
            id: `mev_${key}_${m.id}`,
            detail: e.detail,
            error: e.status === "failed" ? (e.error ?? `${event.provider}: ${e.detail}`) : null,
            at,
          }).onConflictDoNothing(),
        ),
      });
    // A hard bounce or a complaint: never send to that recipient on that channel again.
    if (e.suppress)
      for (const m of received)
        await this.suppressions.add(event.orgId, {
          channel: m.channel as Channel,
          address: m.to,
          reason: e.suppress,
          source: `webhook_event:${event.id}`,
          note: `${event.provider} reported ${e.detail} for message ${m.id}`,
        });
    for (const m of updated) {
      emit(
        "message.status",
        {
          message_id: m.id,
          integration_id: event.integrationId,
          provider: event.provider,
          channel: m.channel,
          to: m.to,
          status: e.status,
          detail: e.detail,
          ...(e.error ? { error: e.error } : {}),
        },
        `${key}:${m.id}`,
      );
    }
    return updated.length;
  }

  /** An inbound message, stored once (keyed by the event) and announced as `message.received`. */
  async applyInbound(
    event: WebhookEventRow,
    e: Extract<WebhookEffect, { kind: "message.inbound" }>,
    key: string,
    emit: Emit,
  ): Promise<number> {
    const id = prefixedId("msg");
    const content = { from: e.from, ...(e.text === undefined ? {} : { text: e.text }) };
    const inserted = await this.db
      .insert(messages)
      .values({
        id,
        orgId: event.orgId,
        integrationId: event.integrationId,
        provider: event.provider,
        channel: e.channel,
        to: e.to ?? "",
        content,
        direction: "inbound",
        status: "received",
        providerMessageId: e.providerMessageId ?? null,
        // Keyed by the event and the effect's place in it: a repeated processing finds the row.
        idempotencyKey: `webhook:${key}`,
      })
      .onConflictDoNothing()
      .returning({ id: messages.id });
    if (!inserted.length) return 0;
    // STOP, UNSUBSCRIBE and the like: the sender asked for no more messages on this channel.
    if (isOptOut(e.text))
      await this.suppressions.add(event.orgId, {
        channel: e.channel as Channel,
        address: e.from,
        reason: "unsubscribe",
        source: `webhook_event:${event.id}`,
        note: `replied ${JSON.stringify(e.text?.trim())}`,
      });
    emit(
      "message.received",
      {
        message_id: id,
        integration_id: event.integrationId,
        provider: event.provider,
        channel: e.channel,
        from: e.from,
        to: e.to ?? null,
        text: e.text ?? null,
        provider_message_id: e.providerMessageId ?? null,
      },
      key,
    );
    return 1;
  }

  /** A Lead Ads lead: fetched from the provider, stored as a contact, announced as `lead.created`. */
  async applyLead(
    event: WebhookEventRow,
    integration: IntegrationRow,
    e: Extract<WebhookEffect, { kind: "lead" }>,
    key: string,
    emit: Emit,
    log: Logger,
  ): Promise<{ created?: boolean; note?: string }> {
    const cfg = integration.config;
    const source = getProvider(integration.provider)?.leads;
    if (!source) return { note: `lead ${e.leadgenId} skipped: the provider cannot fetch leads` };
    const skip = source.skipReason(cfg, e.formId);
    if (skip) return { note: `lead ${e.leadgenId} skipped: ${skip}` };
    const lead = await this.connections.run(integration, (ctx) => source.fetch(ctx, e.leadgenId));
    let contactId: string | null = null;
    let created = false;
    if (source.createsContacts(cfg)) {
      const data = {
        ...lead.contact,
        source: source.source,
        form_id: lead.formId ?? e.formId ?? null,
        external_provider: integration.provider,
      };
      const recordsDb = this.shards.of(event.orgId);
      const inserted = await recordsDb
        .insert(records)
        .values({
          id: prefixedId("rec"),
          orgId: event.orgId,
          integrationId: integration.id,
          entity: "contacts",
          externalId: lead.externalId,
          data,
          raw: lead.raw,
        })
        .onConflictDoNothing()
        .returning({ id: records.id });
      created = inserted.length > 0;
      contactId =
        inserted[0]?.id ??
        (
          await recordsDb
            .select({ id: records.id })
            .from(records)
            .where(
              and(
                eq(records.orgId, event.orgId),
                eq(records.integrationId, integration.id),
                eq(records.entity, "contacts"),
                eq(records.externalId, lead.externalId),
              ),
            )
            .limit(1)
        )[0]?.id ??
        null;
    }
    const campaign =
      typeof cfg.trigger_campaign_id === "string" && cfg.trigger_campaign_id ? cfg.trigger_campaign_id : null;
    emit(
      "lead.created",
      {
        integration_id: integration.id,
        provider: integration.provider,
        lead_id: lead.externalId,
        form_id: lead.formId ?? e.formId ?? null,
        ad_id: e.adId ?? null,
        contact_id: contactId,
        contact: lead.contact,
        answers: lead.answers,
        campaign_id: campaign,
      },
      key,
    );
    log.info("lead processed", { integration_id: integration.id, lead_id: lead.externalId, created });
    return { created };
  }
}
