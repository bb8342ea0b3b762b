// Turns a provider module as written into its catalog entry: capabilities read from its hooks.
import type { ProviderCapabilities, ProviderModule } from "./types.ts";

/** What a module can do, read from the hooks it defines, so a capability and its hook cannot disagree. */
export function capabilitiesOf(m: ProviderModule): ProviderCapabilities {
  const entities = Object.entries(m.sync?.entities ?? {});
  return {
    test: m.test !== undefined,
    send: [...(m.channels ?? [])],
    webhooks: m.webhook !== undefined,
    oauth: m.oauth !== undefined,
    sync: entities.map(([name]) => name),
    ...(m.sync?.push ? { push: entities.filter(([, e]) => e.push).map(([name]) => name) } : {}),
    ...(m.calendar ? { calendar: true } : {}),
    ...(m.webhookSetup ? { webhook_setup: m.webhookSetup.register ? "register" : "check" } : {}),
    ...(m.accounts ? { accounts: m.accounts.label } : {}),
    ...(m.leads || m.publicForm ? { leads: true } : {}),
  };
}

/**
 * A provider module with its derived capabilities; each `src/providers/<id>/index.ts` exports
 * `provider = defineProvider({...})`. The module's own types are kept (tests read its hooks).
 */
export function defineProvider<const M extends ProviderModule>(
  m: M,
): M & { capabilities: ProviderCapabilities } {
  return { ...m, capabilities: capabilitiesOf(m) };
}
