/**
 * Push-notification channels of calendar integrations: one open channel per integration. The
 * channel's random token lives in the integration's secrets (`channel_token`, in the vault) and
 * its id, the provider's resource id and its end in the config (`watch_channel_id`,
 * `watch_resource_id`, `watch_expires_at`), where the webhook verifier reads them. Cron renews a
 * channel a day before it ends (a new channel, then the old one stopped); disconnecting or
 * deleting the integration stops it.
 */
import { and, eq, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { Vault } from "../../crypto/vault.ts";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, integrations } from "../../db/schema.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import { randomToken } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";
import type { ProviderCalendar } from "../../providers/calendar.ts";
import { getProvider, PROVIDER_IDS } from "../../providers/registry.ts";
import { ProviderError } from "../../providers/runtime.ts";
import type { Activity } from "../activity.ts";
import type { Connections } from "../connections.ts";
import { forgetIntegration } from "../integration-cache.ts";
import { type Integrations, providerOf } from "../integrations.ts";
import { providerApiError } from "../provider-failure.ts";

/** Channels ending within this are renewed by cron. */
export const RENEW_AHEAD_MS = 24 * 3600_000;
/** Channels renewed per cron run. */
const RENEW_BATCH = 20;

export interface WatchState {
  channel_id: string | null;
  resource_id: string | null;
  expires_at: string | null;
  address: string | null;
}

export type Watcher = NonNullable<ProviderCalendar["watch"]>;

const watchProviders = () => PROVIDER_IDS.filter((id) => getProvider(id)?.calendar?.watch);

export const watchState = (row: IntegrationRow, address?: string): WatchState => {
  const c = row.config;
  const s = (v: unknown) => (typeof v === "string" && v ? v : null);
  return {
    channel_id: s(c.watch_channel_id),
    resource_id: s(c.watch_resource_id),
    expires_at: s(c.watch_expires_at),
    address: address ?? null,
  };
};

export class CalendarWatch {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly integrations: Integrations,
    private readonly connections: Connections,
    private readonly vault: () => Promise<Vault>,
  ) {}

  /** The integration's provider's channel declaration; a 400 when it has none. */
  watcher(row: IntegrationRow): Watcher {
    const provider = providerOf(row);
    const w = provider.calendar?.watch;
    if (!w)
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        `${provider.displayName} has no push notifications to watch`,
        {
          issues: [{ path: "provider", message: "has no calendar push notifications" }],
        },
      );
    return w;
  }

  /**
   * Opens a channel (or a new one in place of the current, which is then stopped). The caller
   * waits: provider failures answer as the provider did.
   */
  async start(row: IntegrationRow, actor: string): Promise<WatchState> {
    const w = this.watcher(row);
    if (row.disconnectedAt || !row.isActive)
      throw new ApiError(
        ErrorCode.CONFLICT,
        "The integration is inactive or disconnected; activate it to watch",
      );
    try {
      return await this.open(row, w, actor);
    } catch (e) {
      if (e instanceof ProviderError) throw providerApiError(providerOf(row).displayName, e);
      throw e;
    }
  }

  private async open(row: IntegrationRow, w: Watcher, actor: string): Promise<WatchState> {
    const before = watchState(row);
    const secrets = await this.integrations.secretsOf(row);
    const token = secrets.channel_token ?? randomToken(32);
    let address = "";
    const channel = await this.connections.run(row, (ctx) => {
      if (!ctx.webhookUrl)
        throw new ProviderError(
          "permanent",
          "PUBLIC_URL is not set, so there is no webhook URL to watch with",
        );
      address = ctx.webhookUrl;
      return w.start(ctx, {
        id: crypto.randomUUID(),
        token,
        address,
        expiresAt: Date.now() + w.ttlSeconds * 1000,
      });
    });
    const saved = await this.save(row, token, {
      watch_channel_id: channel.id,
      watch_resource_id: channel.resourceId,
      watch_expires_at: new Date(channel.expiresAt).toISOString(),
    });
    await this.log(
      row,
      "watch.started",
      `Watching for changes (channel until ${new Date(channel.expiresAt).toISOString()})`,
      {
        channel_id: channel.id,
        actor,
      },
    );
    // The channel it replaces ends now; a failure only means it runs out on its own.
    if (before.channel_id && before.resource_id) await this.stopAtProvider(saved, w, before, actor);
    return watchState(saved, address);
  }

  /** Stops the integration's channel and forgets it. Never throws for a provider failure. */
  async stop(row: IntegrationRow, actor: string): Promise<WatchState> {
    const w = providerOf(row).calendar?.watch;
    const state = watchState(row);
    if (!w || !state.channel_id) return state;
    await this.stopAtProvider(row, w, state, actor);
    const saved = await this.save(row, null, {
      watch_channel_id: null,
      watch_resource_id: null,
      watch_expires_at: null,
    });
    return watchState(saved);
  }

  private async stopAtProvider(row: IntegrationRow, w: Watcher, state: WatchState, actor: string) {
    try {
      if (row.secrets && state.channel_id && state.resource_id) {
        const channel = { id: state.channel_id, resourceId: state.resource_id };
        await this.connections.run(row, (ctx) => w.stop(ctx, channel));
      }
      await this.log(row, "watch.stopped", "Stopped watching a channel", {
        channel_id: state.channel_id,
        actor,
      });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      await this.log(
        row,
        "watch.stopped",
        `Stopping the channel failed: ${reason}`,
        { channel_id: state.channel_id, actor },
        "warn",
      );
    }
  }

  /** Cron: renews the channels that end within a day; answers how many were renewed. */
  async renewDue(now: number, log: Logger): Promise<number> {
    const providers = watchProviders();
    if (!providers.length) return 0;
    const rows = await this.db
      .select()
      .from(integrations)
      .where(
        and(
          inArray(integrations.provider, providers),
          eq(integrations.isActive, true),
          isNull(integrations.disconnectedAt),
          isNotNull(sql`json_extract(${integrations.config}, '$.watch_channel_id')`),
          lt(
            sql`json_extract(${integrations.config}, '$.watch_expires_at')`,
            new Date(now + RENEW_AHEAD_MS).toISOString(),
          ),
        ),
      )
      .limit(RENEW_BATCH);
    let renewed = 0;
    for (const row of rows) {
      try {
        await this.open(row, this.watcher(row), "cron");
        renewed++;
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        log.warn("watch renewal failed", { integration_id: row.id, reason });
        await this.log(row, "watch.renew_failed", `Renewing the watch channel failed: ${reason}`, {}, "warn");
      }
    }
    return renewed;
  }

  /**
   * Saves the channel's token (null: removed) into the vault entry and its state into the config,
   * compare-and-set on the ciphertext read (read again once when another write came first).
   */
  private async save(
    row: IntegrationRow,
    token: string | null,
    state: Record<string, string | null>,
  ): Promise<IntegrationRow> {
    let base = row;
    for (let attempt = 0; attempt < 3; attempt++) {
      const secrets = { ...(await this.integrations.secretsOf(base)) };
      if (token) secrets.channel_token = token;
      else delete secrets.channel_token;
      const config: Record<string, unknown> = { ...base.config };
      for (const [k, v] of Object.entries(state)) {
        if (v === null) delete config[k];
        else config[k] = v;
      }
      const keys = Object.keys(secrets);
      const enc = keys.length ? await (await this.vault()).encrypt(base.orgId, base.id, secrets) : null;
      const [saved] = await this.db
        .update(integrations)
        .set({
          config,
          secrets: enc?.ciphertext ?? null,
          keyVersion: enc?.keyVersion ?? null,
          secretFields: keys.sort(),
          updatedAt: new Date(Math.max(Date.now(), Date.parse(base.updatedAt) + 1)).toISOString(),
        })
        .where(
          and(
            eq(integrations.orgId, base.orgId),
            eq(integrations.id, base.id),
            base.secrets === null ? isNull(integrations.secrets) : eq(integrations.secrets, base.secrets),
          ),
        )
        .returning();
      forgetIntegration(base.id);
      if (saved) return saved;
      base = await this.integrations.get(base.orgId, base.id);
    }
    throw new ApiError(
      ErrorCode.CONFLICT,
      "The integration changed while its watch channel was saved; retry",
    );
  }

  private log(
    row: IntegrationRow,
    action: string,
    message: string,
    details: Record<string, unknown>,
    level: "info" | "warn" = "info",
  ) {
    return this.activity.log({
      orgId: row.orgId,
      integrationId: row.id,
      level,
      action,
      message,
      details,
    });
  }
}
