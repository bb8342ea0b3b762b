/** How the provider catalog is shown: each provider's category, fields (for forms) and capabilities. */
import type { Provider } from "../../providers/types.ts";

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
    fields: p.fields,
    capabilities: p.capabilities,
    docs_url: p.docsUrl,
  })),
});
