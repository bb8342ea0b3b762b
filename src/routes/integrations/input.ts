/**
 * Maps requests of the REST dialect onto the integrations service's input (bodies, and the
 * integration or provider a path names), and its rows onto the REST view.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import { UUID_RE } from "../../lib/ids.ts";
import { orgAuth } from "../../middleware/auth.ts";
import {
  defaultProviderOf,
  getProvider,
  providerForPath,
  providersInCategory,
} from "../../providers/registry.ts";
import type { Provider } from "../../providers/types.ts";
import { findField } from "../../services/fields.ts";
import {
  categoryOf,
  type IntegrationRef,
  type IntegrationWrite,
  type WriteContext,
} from "../../services/integrations.ts";
import { publicOrigin } from "../../services/oauth.ts";
import { restView, type ShownIntegration } from "../../services/views.ts";
import { COMMON_KEYS } from "./schema.ts";

const invalid = (path: string, message: string) =>
  new ApiError(ErrorCode.INVALID_FIELD, `${path}: ${message}`, { issues: [{ path, message }] });

/** The provider a per-provider path names (004's names: each provider's `pathAliases`), or a 400. */
export function pathProvider(name: string): Provider {
  const p = providerForPath(name);
  if (!p)
    throw new ApiError(ErrorCode.UNKNOWN_PROVIDER, `Unknown provider "${name}"`, {
      issues: [{ path: "provider", message: "unknown provider" }],
    });
  return p;
}

/**
 * The integration a `{provider}` path segment names: an integration id (UUID), or a provider
 * (with `?integration_id=` when the organization has several); an unknown provider is a 400.
 */
export function integrationRef(name: string, integrationId?: string): IntegrationRef {
  return UUID_RE.test(name) ? { id: name } : { provider: pathProvider(name), integrationId };
}

/**
 * The provider a create names: `provider` (an id), or `integration_type` as a provider id
 * (001) or as a category with one provider or a `categoryDefault` one (002).
 */
export function providerForCreate(body: { provider?: string; integration_type?: string }): Provider {
  if (body.provider) {
    const p = getProvider(body.provider);
    if (!p)
      throw new ApiError(ErrorCode.UNKNOWN_PROVIDER, `provider: unknown provider "${body.provider}"`, {
        issues: [{ path: "provider", message: "unknown provider" }],
      });
    if (body.integration_type && body.integration_type !== p.category && body.integration_type !== p.id) {
      throw invalid(
        "integration_type",
        `provider ${p.id} is of type ${p.category}, not ${body.integration_type}`,
      );
    }
    return p;
  }
  if (!body.integration_type) throw invalid("provider", "provider or integration_type is required");
  const byId = getProvider(body.integration_type);
  if (byId) return byId;
  const category = categoryOf(body.integration_type);
  if (!category) {
    throw new ApiError(
      ErrorCode.UNKNOWN_PROVIDER,
      `integration_type: unknown type "${body.integration_type}"`,
      {
        issues: [{ path: "integration_type", message: "unknown type" }],
      },
    );
  }
  const only = defaultProviderOf(category);
  if (!only) {
    const candidates = providersInCategory(category);
    throw invalid(
      "provider",
      `required for integration_type ${category}: one of ${candidates.map((p) => p.id).join(", ")}`,
    );
  }
  return only;
}

/** is_active from a body's `is_active` and `status` (active or inactive); a 400 when they disagree. */
export function activeOf(isActive: boolean | undefined, status: string | undefined): boolean | undefined {
  const fromStatus = status === undefined ? undefined : status === "active";
  if (isActive !== undefined && fromStatus !== undefined && isActive !== fromStatus)
    throw invalid("status", `${status} contradicts is_active ${isActive}`);
  return isActive ?? fromStatus;
}

/**
 * token_expires_at describes an access token, so a client sends it only with one; alone it
 * would move the expiry of the token the hub refreshes.
 */
export function assertTokenExpiry(tokenExpiresAt: unknown, setsToken: boolean) {
  if (tokenExpiresAt !== undefined && !setsToken)
    throw invalid("token_expires_at", "may only be sent together with the access token it describes");
}

/** Splits a REST body into the service's write: known keys, plus provider fields at the top level. */
export function restWrite(provider: Provider, body: Record<string, unknown>): IntegrationWrite {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (COMMON_KEYS.has(k)) continue;
    if (!findField(provider, k)) throw invalid(k, `not a field of provider ${provider.id}`);
    values[k] = v;
  }
  const credentials = (body.credentials ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(credentials)) {
    if (!findField(provider, k)) throw invalid(`credentials.${k}`, `not a field of provider ${provider.id}`);
  }
  const all = { ...credentials, ...values };
  const tokenNames = new Set(["access_token", provider.tokenField].filter(Boolean));
  const setsToken = Object.keys(all).some((k) => tokenNames.has(findField(provider, k)?.name ?? k));
  assertTokenExpiry(body.token_expires_at, setsToken);
  return {
    name: body.name as string | undefined,
    // `status` (002) is the same as is_active: the hub computes the stored status itself.
    isActive: activeOf(body.is_active as boolean | undefined, body.status as string | undefined),
    config: body.config as Record<string, unknown> | undefined,
    values: all,
    apiBaseUrl: body.api_base_url as string | null | undefined,
    webhookUrl: body.webhook_url as string | null | undefined,
    webhookVerifyToken: body.webhook_verify_token as string | null | undefined,
    tokenExpiresAt: body.token_expires_at as string | null | undefined,
  };
}

/** The hub's public origin: PUBLIC_URL, never the request's Host (see services/oauth.ts). */
export function publicUrl(c: Context<AppEnv>): string {
  return publicOrigin(c.get("services").settings, new URL(c.req.url).origin);
}

export function writeContext(c: Context<AppEnv>, dialect: WriteContext["dialect"]): WriteContext {
  const auth = c.get("auth");
  return {
    actor: auth.kind === "org" ? auth.actor : "operator",
    // Read only when a webhook URL is generated, so other writes work without PUBLIC_URL.
    get publicUrl() {
      return publicUrl(c);
    },
    dialect,
  };
}

/** An integration as the REST dialect shows it. */
export const integrationView = (c: Context<AppEnv>, row: ShownIntegration) =>
  restView(row, c.get("services").settings);

/**
 * The integration id an `{id}` path segment names: the id itself, or a provider id naming the
 * organization's integration of that provider (`?integration_id=` choosing among several), as
 * every `{provider}` path takes it. Anything else is passed on as an id (and is not found).
 */
export async function integrationIdOf(c: Context<AppEnv>, value: string): Promise<string> {
  if (UUID_RE.test(value)) return value;
  const provider = providerForPath(value);
  if (!provider) return value;
  const ref = { provider, integrationId: c.req.query("integration_id") || undefined };
  return (await c.get("services").integrations.resolve(orgAuth(c).orgId, ref)).id;
}
