// The Meta app behind Facebook, Instagram and WhatsApp Cloud: one app secret verifies the three
// products' webhooks (`metaWebhook` in facebook/webhook.ts), which may share one callback URL.

/**
 * What each Meta provider module declares: the shared app secret (the deployment's
 * `META_APP_SECRET`, as `defaults.metaAppSecret` in the webhook context) and the shared callback.
 */
export const metaApp = {
  deploymentSecrets: { metaAppSecret: "META_APP_SECRET" },
  orgCallback: true,
} as const;
