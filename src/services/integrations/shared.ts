/**
 * What the parts of the integrations service share: the statuses, the inputs of its methods,
 * its dependencies, the provider of a stored row, and the type names a path may use.
 */
import type { Settings } from "../../config.ts";
import type { Vault } from "../../crypto/vault.ts";
import type { Db } from "../../db/client.ts";
import type { IntegrationRow } from "../../db/schema.ts";
import { ApiError, ErrorCode, type Issue } from "../../errors.ts";
import { getProvider } from "../../providers/registry.ts";
import type { Category, Provider } from "../../providers/types.ts";
import { CATEGORIES, CATEGORY_ALIASES } from "../../providers/types.ts";
import type { Activity } from "../activity.ts";

export const STATUSES = ["active", "inactive", "error", "pending"] as const;
export type Status = (typeof STATUSES)[number];

export interface IntegrationWrite {
  name?: string;
  isActive?: boolean;
  status?: Status;
  /** Free-form settings; merged into the stored config (null removes a key). */
  config?: Record<string, unknown>;
  /** Flat field values by declared name or alias (credentials, configure bodies, `extra`). */
  values?: Record<string, unknown>;
  apiBaseUrl?: string | null;
  webhookUrl?: string | null;
  webhookVerifyToken?: string | null;
  tokenExpiresAt?: string | null;
}

/**
 * An update's write, or a function that builds it from the integration's provider (for a body
 * whose fields are read by the provider they belong to).
 */
export type WriteOf = IntegrationWrite | ((provider: Provider) => IntegrationWrite);

export interface WriteContext {
  actor: string;
  /** Public origin of the hub, for generated webhook URLs. */
  publicUrl: string;
  /** Which dialect is writing; decides the form of a generated webhook URL. */
  dialect: "compat" | "rest";
}

export interface ListFilter {
  /** Category or provider id. */
  type?: string;
  provider?: string;
  activeOnly?: boolean;
  cursor?: string;
  limit: number;
}

/**
 * The integration a path names: by id, or as the organization's integration of a provider
 * (with `integrationId` when it has several).
 */
export type IntegrationRef = { id: string } | { provider: Provider; integrationId?: string };

/** What every part of the integrations service is built from. */
export interface IntegrationsDeps {
  db: Db;
  activity: Activity;
  vault: () => Promise<Vault>;
  settings: Settings;
  /** Whether reads that may be a few seconds old come from the isolate's cache. */
  cacheReads: boolean;
}

export function providerOf(row: Pick<IntegrationRow, "id" | "provider">): Provider {
  const p = getProvider(row.provider);
  if (!p) throw new Error(`integration ${row.id} has unknown provider ${row.provider}`);
  return p;
}

/** The category a type name means (a category or one of its aliases), if any. */
export function categoryOf(type: string): Category | undefined {
  const t = CATEGORY_ALIASES[type] ?? type;
  return (CATEGORIES as readonly string[]).includes(t) ? (t as Category) : undefined;
}

/** A 400 naming every invalid field, the first in the message. */
export function invalidFields(issues: Issue[]): ApiError {
  const first = issues[0] as Issue;
  return new ApiError(ErrorCode.INVALID_FIELD, `${first.path}: ${first.message}`, { issues });
}
