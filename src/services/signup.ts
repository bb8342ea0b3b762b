/**
 * Sign-up pages (002, SPEC §9): the public submission endpoint of `signup_page` integrations.
 * A submission is validated against the integration's `form_fields`, upserted as a contact in
 * `records` (the same conventions as Lead Ads contacts) and announced as `lead.created`.
 *
 * `form_fields` is a JSON array; each item is either a field name (an optional text field) or
 * `{name, label?, type?, required?, options?}` with `type` one of FIELD_TYPES (default text).
 * With no `form_fields`, a page takes `email` (required), `name`, `phone` and `company`.
 * Reading the form from the page's configuration is in ./signup/form.ts, its embed code in
 * ./signup/embed.ts.
 */
import { and, eq } from "drizzle-orm";
import type { Settings } from "../config.ts";
import type { Db } from "../db/client.ts";
import { type IntegrationRow, integrations, records } from "../db/schema.ts";
import type { Shards } from "../db/shards.ts";
import { notFound } from "../errors.ts";
import { prefixedId, UUID_RE } from "../lib/ids.ts";
import { SIGNUP_PROVIDER_ID } from "../providers/registry.ts";
import type { Activity } from "./activity.ts";
import type { Events } from "./events.ts";
import { hitRateLimit, type RateLimitOptions } from "./rate-limit.ts";
import { contactOf, first, formFieldsOf, isBlank, signupUrl, validateSubmission } from "./signup/form.ts";

/** The provider whose integrations are sign-up pages. */
export const SIGNUP_PROVIDER: string = SIGNUP_PROVIDER_ID;
/** Submissions larger than this get 413 before they are read. */
export const MAX_SIGNUP_BYTES = 64 * 1024;
/** Submissions per client IP and integration. */
export const SIGNUP_RATE_LIMIT: RateLimitOptions = { limit: 10, windowSeconds: 60 };

export interface SignupResult {
  /** false for a honeypot hit: answered like a success, nothing stored. */
  stored: boolean;
  leadId: string;
  contactId: string | null;
  created: boolean;
}

export class Signup {
  constructor(
    private readonly db: Db,
    private readonly shards: Shards,
    private readonly activity: Activity,
    private readonly events: Events,
    private readonly settings: Settings,
  ) {}

  /** The active, connected sign-up page `id`; anything else is a 404 that reveals nothing. */
  async page(id: string): Promise<IntegrationRow> {
    const missing = notFound("Sign-up page");
    if (!UUID_RE.test(id)) throw missing;
    const [row] = await this.db.select().from(integrations).where(eq(integrations.id, id)).limit(1);
    if (!row || row.provider !== SIGNUP_PROVIDER || !row.isActive || row.disconnectedAt) throw missing;
    return row;
  }

  /** Counts a submission from `ip`; a 429 with Retry-After past the limit. */
  rateLimit(row: IntegrationRow, ip: string) {
    return hitRateLimit(this.db, `signup:${row.id}:${ip}`, SIGNUP_RATE_LIMIT);
  }

  /** Validates and stores one submission, then emits `lead.created`. */
  async submit(row: IntegrationRow, input: Record<string, unknown>, meta: { origin?: string }) {
    const cfg = row.config;
    const leadId = prefixedId("lead");
    const honeypot = typeof cfg.honeypot_field === "string" ? cfg.honeypot_field.trim() : "";
    if (honeypot && !isBlank(first(input[honeypot]))) {
      await this.activity.log({
        orgId: row.orgId,
        integrationId: row.id,
        level: "warn",
        action: "signup.spam",
        message: "Sign-up dropped: the honeypot field was filled",
        details: { honeypot_field: honeypot, ...(meta.origin ? { origin: meta.origin } : {}) },
      });
      return { stored: false, leadId, contactId: prefixedId("rec"), created: false } satisfies SignupResult;
    }
    const fields = formFieldsOf(cfg).filter((f) => f.name !== honeypot);
    const answers = validateSubmission(fields, input);
    const contact = contactOf(fields, answers);
    const tag = typeof cfg.apply_tag === "string" ? cfg.apply_tag.trim() : "";
    const campaign =
      typeof cfg.trigger_campaign_id === "string" && cfg.trigger_campaign_id.trim()
        ? cfg.trigger_campaign_id.trim()
        : null;

    let contactId: string | null = null;
    let created = false;
    if (cfg.auto_create_contact !== false) {
      const externalId = contact.email ?? contact.phone ?? leadId;
      const where = and(
        eq(records.integrationId, row.id),
        eq(records.entity, "contacts"),
        eq(records.externalId, externalId),
      );
      const recordsDb = this.shards.of(row.orgId);
      const [existing] = await recordsDb.select().from(records).where(where).limit(1);
      const oldTags = Array.isArray(existing?.data.tags) ? existing.data.tags.map(String) : [];
      const tags = tag && !oldTags.includes(tag) ? [...oldTags, tag] : oldTags;
      const data: Record<string, unknown> = {
        ...(existing?.deletedAt ? {} : existing?.data),
        ...answers,
        ...contact,
        source: SIGNUP_PROVIDER,
        ...(tags.length ? { tags } : {}),
        page_url: typeof cfg.page_url === "string" && cfg.page_url ? cfg.page_url : null,
        lead_id: leadId,
        external_provider: SIGNUP_PROVIDER,
      };
      const raw = { answers, submitted_at: new Date().toISOString(), origin: meta.origin ?? null };
      const now = new Date().toISOString();
      const [saved] = await recordsDb
        .insert(records)
        .values({
          id: prefixedId("rec"),
          orgId: row.orgId,
          integrationId: row.id,
          entity: "contacts",
          externalId,
          data,
          raw,
        })
        .onConflictDoUpdate({
          target: [records.integrationId, records.entity, records.externalId],
          set: { data, raw, updatedAt: now, deletedAt: null },
        })
        .returning({ id: records.id });
      contactId = saved?.id ?? null;
      created = !existing;
    }

    await this.events.emit(
      row.orgId,
      "lead.created",
      {
        integration_id: row.id,
        provider: SIGNUP_PROVIDER,
        lead_id: leadId,
        contact_id: contactId,
        contact,
        answers,
        campaign_id: campaign,
        tags: tag ? [tag] : [],
        source: SIGNUP_PROVIDER,
      },
      { key: leadId },
    );
    // The log names the fields, never their values.
    await this.activity.log({
      orgId: row.orgId,
      integrationId: row.id,
      action: "signup.received",
      message: created ? "Sign-up received; contact created" : "Sign-up received",
      details: {
        lead_id: leadId,
        contact_id: contactId,
        created,
        fields: Object.keys(answers),
        ...(meta.origin ? { origin: meta.origin } : {}),
      },
    });
    return { stored: true, leadId, contactId, created } satisfies SignupResult;
  }

  /** The page's public URL. */
  signupUrl(id: string) {
    return signupUrl(this.settings, id);
  }
}

// What the route and the integration's view read of a page.
export { embedHtml } from "./signup/embed.ts";
export { allowedOriginsOf, corsHeaders, redirectUrlOf, signupUrl } from "./signup/form.ts";
