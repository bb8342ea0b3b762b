/**
 * The check of where a provider sends an integration's webhooks (the `webhookSetup` hook), as
 * test connection and the registration report it.
 */
import { redactText, redactTokens, secretValues } from "../lib/redact.ts";
import { type ProviderContext, ProviderError } from "../providers/runtime.ts";
import type { Provider } from "../providers/types.ts";

/** The check as the API shows it: `points_here`, `current_url`, `expected_url` and the provider's details, or `error`. */
export type WebhookCheckView = Record<string, unknown>;

/**
 * The check of where the provider sends the integration's webhooks, for test connection's
 * `details.webhook`; undefined when the provider has no such check. A failed check is reported,
 * never thrown: the connection test's verdict is the credentials'.
 */
export async function webhookCheck(
  provider: Provider,
  ctx: ProviderContext,
): Promise<WebhookCheckView | undefined> {
  const setup = provider.webhookSetup;
  if (!setup) return undefined;
  if (!ctx.webhookUrl)
    return { points_here: false, current_url: null, expected_url: null, error: "the hub has no PUBLIC_URL" };
  try {
    const t = await setup.check(ctx);
    return {
      points_here: t.pointsHere,
      current_url: t.currentUrl,
      expected_url: ctx.webhookUrl,
      ...t.details,
    };
  } catch (e) {
    if (!(e instanceof ProviderError)) throw e;
    const error = redactTokens(redactText(e.message, secretValues(ctx.secrets)));
    return { points_here: false, current_url: null, expected_url: ctx.webhookUrl, error };
  }
}
