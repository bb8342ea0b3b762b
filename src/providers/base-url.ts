/** Where a provider's API is for this deployment: per-integration, per-deployment, or default. */
import type { Settings } from "../config.ts";
import type { Provider } from "./types.ts";

export function providerBaseUrl(
  provider: Provider,
  settings: Settings,
  integrationBaseUrl?: string | null,
): string {
  if (integrationBaseUrl) return integrationBaseUrl;
  const override = settings.PROVIDER_BASE_URLS[provider.id];
  if (override) return override;
  if (settings.PROVIDER_BASE_URL_ALL)
    return `${settings.PROVIDER_BASE_URL_ALL.replace(/\/+$/, "")}/${provider.id}`;
  return provider.defaultBaseUrl;
}
