/** How the provider catalog is shown: each provider's category, fields (for forms) and capabilities. */
import type { Provider, ProviderField } from "../../providers/types.ts";

/**
 * The base-URL field of a provider whose customers say where its API is (Odoo, SQL Accounting,
 * a custom API): the integration's own `api_base_url`, not a config value (`location`).
 */
const baseUrlField = (p: Provider): ProviderField & { location: "integration" } => ({
  name: "api_base_url",
  label: "Base URL",
  type: "url",
  required: false,
  secret: false,
  placeholder: p.baseUrlExample ?? (p.defaultBaseUrl || "https://api.example.com"),
  help: `Where this account's ${p.displayName} API is${p.defaultBaseUrl ? ` (${p.defaultBaseUrl} when empty)` : ""}. Sent as the integration's api_base_url; in the sandbox every call goes to the simulator whatever it says.`,
  location: "integration",
});

/** The catalog of the given providers, in their order. */
export const catalogView = (providers: readonly Provider[]) => ({
  providers: providers.map((p) => ({
    id: p.id,
    category: p.category,
    display_name: p.displayName,
    description: p.description,
    auth_kind: p.authKind,
    default_base_url: p.defaultBaseUrl,
    customer_base_url: p.customerBaseUrl ?? false,
    token_field: p.tokenField,
    fields: p.customerBaseUrl ? [...p.fields, baseUrlField(p)] : p.fields,
    capabilities: p.capabilities,
    docs_url: p.docsUrl,
  })),
});
