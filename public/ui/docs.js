// @ts-check
// The /docs page (src/routes/docs.ts): Scalar's API reference of the hub's own /openapi.json.
// Scalar's standalone bundle (public/vendor/scalar/standalone.js, copied from node_modules by
// scripts/vendor-scalar.ts) defines window.Scalar. Nothing leaves the hub: no CDN,
// no fonts from Scalar's servers, no request proxy, no telemetry, no AI agent or developer tools.
// Options: node_modules/@scalar/types/dist/api-reference/api-reference-configuration.js.

// Scalar checks its options with zod, whose first parse tries `Function("")` to see whether it
// may compile its parsers. The page's CSP (script-src 'self', no 'unsafe-eval') refuses that and
// reports a violation; zod's own `jitless` setting, which the bundle reads from this global, skips
// the try. So this file runs first (a plain script in the head), and the reference is made once
// the deferred bundle has run, at DOMContentLoaded.
{
  // A block: this classic script must leave no global name behind but the one it sets.
  const host = /** @type {{ __zod_globalConfig?: Record<string, unknown> }} */ (globalThis);
  host.__zod_globalConfig = { ...host.__zod_globalConfig, jitless: true };
}

document.addEventListener("DOMContentLoaded", () =>
  window.Scalar.createApiReference("#app", {
    url: "/openapi.json",
    title: "Switchboard API reference",
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    showDeveloperTools: "never",
    // The "open in the Scalar app" button leads off the hub; "Test Request" (the in-page client) stays.
    hideClientButton: true,
    documentDownloadType: "json",
    darkMode: false,
    defaultOpenFirstTag: true,
    // A placeholder, not a key: the reader types their own organization key (or the ADMIN_TOKEN).
    authentication: {
      preferredSecurityScheme: "apiKey",
      securitySchemes: { apiKey: { token: "sbk_your_organization_api_key" } },
    },
    // The in-page client lists these first.
    featuredClients: ["shell/curl", "js/fetch", "node/fetch", "python/requests"],
  }),
);
