// The provider catalog: every provider module keyed by id, with lookups by id and by category.
import { PROVIDER_MODULES } from "./all.ts";
import { capabilitiesOf } from "./define.ts";
import type { Category, Provider, ProviderField, ProviderModule } from "./types.ts";

/** A provider's id: a key of `PROVIDER_MODULES` (src/providers/all.ts). */
export type ProviderId = keyof typeof PROVIDER_MODULES;

/**
 * The modules by id, each checked to declare the id it is listed under: a module listed under
 * another key does not compile.
 */
const DECLARED: { readonly [K in ProviderId]: ProviderModule & { readonly id: K } } = PROVIDER_MODULES;

/** Every provider id, in catalog order (grouped by category). */
export const PROVIDER_IDS = Object.keys(DECLARED) as readonly ProviderId[];

/**
 * Settings every provider that sends messages has: `sandbox_mode` records messages instead of
 * sending them; `default` makes it the channel's default integration.
 */
const SENDER_FIELDS: ProviderField[] = [
  {
    name: "sandbox_mode",
    label: "Sandbox mode (record messages, do not send)",
    type: "boolean",
    required: false,
    secret: false,
    default: false,
  },
  {
    name: "default",
    label: "Default integration for its channel",
    type: "boolean",
    required: false,
    secret: false,
    default: false,
  },
];

/** The catalog entry of a module: its derived capabilities, and the sender settings if it sends. */
function entryOf(m: ProviderModule): Provider {
  const capabilities = capabilitiesOf(m);
  const fields = m.send ? [...m.fields, ...SENDER_FIELDS] : m.fields;
  return { ...m, fields, capabilities };
}

/** Every provider's catalog entry by id. */
export const PROVIDERS = Object.fromEntries(PROVIDER_IDS.map((id) => [id, entryOf(DECLARED[id])])) as Record<
  ProviderId,
  Provider
>;

const ID_SET: ReadonlySet<string> = new Set(PROVIDER_IDS);

/** True when `id` names a provider in the catalog (own ids only, never `constructor` and the like). */
export function isProviderId(id: string): id is ProviderId {
  return ID_SET.has(id);
}

/** The provider with this id, or undefined for an unknown id. */
export function getProvider(id: string): Provider | undefined {
  return isProviderId(id) ? PROVIDERS[id] : undefined;
}

/** The providers of one category, in catalog order. */
export function providersInCategory(category: Category): Provider[] {
  return PROVIDER_IDS.map((id) => PROVIDERS[id]).filter((p) => p.category === category);
}

/** The provider of the public sign-up form (`publicForm`). */
export const SIGNUP_PROVIDER_ID: ProviderId = (() => {
  const id = PROVIDER_IDS.find((p) => PROVIDERS[p].publicForm);
  if (!id) throw new Error("no provider declares publicForm");
  return id;
})();

/** Per-provider path names that differ from an id (`pathAliases`), each to its provider. */
const PATH_ALIASES: ReadonlyMap<string, ProviderId> = new Map(
  PROVIDER_IDS.flatMap((id) => (PROVIDERS[id].pathAliases ?? []).map((alias) => [alias, id] as const)),
);

/** The provider a per-provider path names: by one of its `pathAliases` first, else by id. */
export function providerForPath(name: string): Provider | undefined {
  const aliased = PATH_ALIASES.get(name);
  return aliased ? PROVIDERS[aliased] : getProvider(name);
}

/** The provider a create naming only `category` gets: its only one, or its `categoryDefault`. */
export function defaultProviderOf(category: Category): Provider | undefined {
  const candidates = providersInCategory(category);
  return candidates.length === 1 ? candidates[0] : candidates.find((p) => p.categoryDefault);
}

/** The providers whose webhooks may arrive at the organization-wide callback (`orgCallback`). */
export const ORG_CALLBACK_PROVIDERS: readonly ProviderId[] = PROVIDER_IDS.filter(
  (id) => PROVIDERS[id].orgCallback,
);

/** The deployment settings a provider's webhooks may fall back on, with the values this deployment has. */
export function deploymentDefaults(
  provider: Provider,
  setting: (name: string) => string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, name] of Object.entries(provider.deploymentSecrets ?? {})) {
    const value = setting(name);
    if (value) out[key] = value;
  }
  return out;
}
