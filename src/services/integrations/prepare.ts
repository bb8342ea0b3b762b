/**
 * How a write becomes column values: field values validated against the provider's fields and
 * the outbound rules, merged into the stored config, secrets re-encrypted as one vault entry,
 * and the status the integration ends up in.
 */
import type { IntegrationRow } from "../../db/schema.ts";
import type { Issue } from "../../errors.ts";
import { checkOutboundHost, checkOutboundUrl } from "../../lib/outbound.ts";
import type { Provider } from "../../providers/types.ts";
import { missingFields, resolveFields } from "../fields.ts";
import type { IntegrationReads } from "./reads.ts";
import { type IntegrationsDeps, type IntegrationWrite, invalidFields, type Status } from "./shared.ts";

/** The column values a write computes, and what it changed or still lacks. */
export interface PreparedWrite {
  config: Record<string, unknown>;
  secrets: string | null;
  keyVersion: number | null;
  secretFields: string[];
  /** Secret fields set or removed by the write. */
  changedSecrets: string[];
  /** Required fields still without a value. */
  missing: string[];
}

/** Validates a write and computes the new column values. Throws 400 naming the fields. */
export async function prepareWrite(
  deps: Pick<IntegrationsDeps, "settings" | "vault">,
  reads: IntegrationReads,
  provider: Provider,
  orgId: string,
  id: string,
  input: IntegrationWrite,
  existing: IntegrationRow | null,
): Promise<PreparedWrite> {
  const fromConfig = resolveFields(provider, input.config ?? {}, (n) => `config.${n}`);
  const fromValues = resolveFields(provider, input.values ?? {});
  const issues: Issue[] = [...fromConfig.issues, ...fromValues.issues];
  if (input.apiBaseUrl) {
    const check = checkOutboundUrl(input.apiBaseUrl, deps.settings.ALLOW_PRIVATE_URLS);
    if (!check.ok) issues.push({ path: "api_base_url", message: check.reason });
  }
  // The URL providers post to (the hub's own, or a relay): any host, but only http(s).
  if (input.webhookUrl) {
    const check = checkOutboundUrl(input.webhookUrl, true);
    if (!check.ok) issues.push({ path: "webhook_url", message: check.reason });
  }
  const hostField = provider.customerHostField;
  const host = hostField ? (fromValues.config[hostField] ?? fromConfig.config[hostField]) : undefined;
  // The sandbox relaxes nothing here: only ALLOW_PRIVATE_URLS allows private hosts.
  if (hostField && typeof host === "string" && host) {
    const check = checkOutboundHost(host, deps.settings.ALLOW_PRIVATE_URLS);
    if (!check.ok) issues.push({ path: hostField, message: check.reason });
  }
  if (issues.length) throw invalidFields(issues);
  const config: Record<string, unknown> = { ...(existing?.config ?? {}) };
  for (const [k, v] of Object.entries({ ...fromConfig.config, ...fromValues.config })) {
    if (v === null) delete config[k];
    else config[k] = v;
  }
  const secretChanges: Record<string, string | null> = {};
  // A setting removed whole takes the secrets stored under it (`auth: null` → `auth.password`).
  const removed = [...fromConfig.removed, ...fromValues.removed];
  for (const name of existing?.secretFields ?? [])
    if (removed.some((r) => name.startsWith(`${r}.`))) secretChanges[name] = null;
  Object.assign(secretChanges, fromConfig.secrets, fromValues.secrets);
  // A setting now vaulted is never also kept as plain config (rows written before vaulting).
  for (const k of Object.keys(secretChanges)) delete config[k];
  let secrets = existing?.secrets ?? null;
  let keyVersion = existing?.keyVersion ?? null;
  let secretFields = existing?.secretFields ?? [];
  const changedSecrets = Object.keys(secretChanges);
  if (changedSecrets.length) {
    const current = existing ? await reads.secretsOf(existing) : {};
    for (const [k, v] of Object.entries(secretChanges)) {
      if (v === null) delete current[k];
      else current[k] = v;
    }
    secretFields = Object.keys(current).sort();
    if (secretFields.length) {
      const vault = await deps.vault();
      const enc = await vault.encrypt(orgId, id, current);
      secrets = enc.ciphertext;
      keyVersion = enc.keyVersion;
    } else {
      secrets = null;
      keyVersion = null;
    }
  }
  const missing = missingFields(provider, config, secretFields);
  return { config, secrets, keyVersion, secretFields, changedSecrets, missing };
}

/**
 * The status a write leaves: pending while fields are missing, else still error until the
 * credentials change or a test passes (switching it off and on again does not clear it), else
 * active or inactive, as asked.
 */
export function statusFor(
  input: IntegrationWrite,
  isActive: boolean,
  missing: string[],
  existing: IntegrationRow | null,
  credentialsChanged: boolean,
): Status {
  if (input.status && input.status !== "active") return input.status;
  if (missing.length && !input.status) return "pending";
  if (isActive && stillFailing(existing, credentialsChanged)) return "error";
  if (input.status) return input.status;
  return isActive ? "active" : "inactive";
}

/**
 * Whether an integration's last test or provider call failed and nothing has cleared it since:
 * `error_count` counts those failures and only a passing test (or new credentials) resets it.
 */
export function stillFailing(existing: IntegrationRow | null, credentialsChanged: boolean): boolean {
  return existing !== null && !credentialsChanged && (existing.status === "error" || existing.errorCount > 0);
}
