/**
 * How an integration is shown: the REST view (002/003/004) and the 001 view. Secrets never
 * leave: stored secret fields show as `••••••`, and the 004 views leave them out entirely.
 */
import type { Settings } from "../../config.ts";
import type { IntegrationRow } from "../../db/schema.ts";
import { clampJson } from "../../lib/json-limits.ts";
import { MASK } from "../../lib/log.ts";
import { providerBaseUrl } from "../../providers/base-url.ts";
import { findField, isSecretName, missingFields, shownConfig } from "../fields.ts";
import { providerOf } from "../integrations.ts";
import { embedHtml, SIGNUP_PROVIDER, signupUrl } from "../signup.ts";

/** What a view shows an integration from: its row without the secrets' ciphertext. */
export type ShownIntegration = Omit<IntegrationRow, "secrets">;

/** The row with its stored config cut to the JSON limits, so one oversized value never breaks a list. */
const bounded = <R extends ShownIntegration>(row: R): R => {
  const config = clampJson(row.config);
  return config === row.config ? row : { ...row, config };
};

export function restView(stored: ShownIntegration, settings: Settings) {
  const row = bounded(stored);
  const provider = providerOf(row);
  return {
    id: row.id,
    org_id: row.orgId,
    provider: row.provider,
    integration_type: row.category,
    name: row.name,
    status: row.status,
    is_active: row.isActive,
    config: shownConfig(provider, row.config, row.secretFields),
    secrets: Object.fromEntries(row.secretFields.map((f) => [f, MASK])),
    missing_fields: missingFields(provider, row.config, row.secretFields),
    api_base_url: row.apiBaseUrl ?? providerBaseUrl(provider, settings, null, row.config),
    webhook_url: row.webhookUrl,
    webhook_verify_token: row.webhookVerifyToken,
    token_expires_at: row.tokenExpiresAt,
    last_sync_at: row.lastSyncAt,
    last_tested_at: row.lastTestedAt,
    last_error: row.lastError,
    error_count: row.errorCount,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    disconnected_at: row.disconnectedAt,
    // Sign-up pages: the public submission URL and an embeddable form.
    ...(row.provider === SIGNUP_PROVIDER
      ? { signup_url: signupUrl(settings, row.id), embed_html: embedHtml(row, settings) }
      : {}),
  };
}

/** 004's integration view: provider, state and `extra`, never a token. */
export function connectView(stored: ShownIntegration) {
  const row = bounded(stored);
  return {
    id: row.id,
    provider: row.provider,
    is_active: row.isActive,
    status: row.status,
    extra: shownConfig(providerOf(row), row.config, row.secretFields),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** The four credential columns of the 001 dialect. */
const COMPAT_CREDENTIALS = ["api_key", "api_secret", "access_token", "refresh_token"] as const;

/** 001's view: the list form, or the detail form with credentials (secrets masked) and config. */
export function compatView(stored: ShownIntegration, settings: Settings, detail: boolean) {
  const row = bounded(stored);
  const provider = providerOf(row);
  const base = {
    id: row.id,
    org_id: row.orgId,
    integration_type: row.provider,
    name: row.name,
    is_active: row.isActive,
    status: row.status,
    api_base_url: row.apiBaseUrl ?? providerBaseUrl(provider, settings, null, row.config),
    webhook_url: row.webhookUrl,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
  if (!detail) return base;
  const config = shownConfig(provider, row.config, row.secretFields, { inline: true });
  const credentials: Record<string, unknown> = {};
  for (const name of COMPAT_CREDENTIALS) {
    const canonical = findField(provider, name)?.name ?? name;
    if (isSecretName(provider, name)) {
      if (row.secretFields.includes(canonical)) credentials[name] = MASK;
    } else if (config[canonical] !== undefined) {
      credentials[name] = config[canonical];
      delete config[canonical];
    }
  }
  return {
    ...base,
    webhook_verify_token: row.webhookVerifyToken,
    ...credentials,
    token_expires_at: row.tokenExpiresAt,
    config,
    last_sync_at: row.lastSyncAt,
    last_error: row.lastError,
    error_count: row.errorCount,
  };
}
