/** Where a provider's API is for this deployment: sandbox, per-integration, per-deployment, or default. */
import type { Settings } from "../config.ts";
import type { Provider } from "./types.ts";

/**
 * The base URL provider calls use. With the sandbox enabled every provider goes to the
 * simulator; otherwise a customer-supplied URL (Odoo, custom) wins, then the deployment's
 * overrides, then the provider's default (with `{region}` filled from the settings).
 */
export function providerBaseUrl(
  provider: Provider,
  settings: Settings,
  integrationBaseUrl?: string | null,
  config: Record<string, unknown> = {},
): string {
  if (settings.sandboxBase) return `${settings.sandboxBase}/${provider.id}`;
  if (provider.customerBaseUrl && integrationBaseUrl) return integrationBaseUrl;
  const override = settings.PROVIDER_BASE_URLS[provider.id];
  if (override) return override;
  if (settings.PROVIDER_BASE_URL_ALL)
    return `${settings.PROVIDER_BASE_URL_ALL.replace(/\/+$/, "")}/${provider.id}`;
  const region =
    typeof config.region === "string" && /^[a-z0-9-]+$/.test(config.region) ? config.region : "us-east-1";
  return provider.defaultBaseUrl.replace("{region}", region);
}
