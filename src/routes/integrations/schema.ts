/** zod schemas of the REST integrations API: they validate and they are the OpenAPI document. */
import { z } from "@hono/zod-openapi";
import { limitJson } from "../../lib/json-limits.ts";
import { PROVIDER_IDS } from "../../providers/registry.ts";
import { CATEGORIES } from "../../providers/types.ts";
import { STATUSES } from "../../services/integrations.ts";

/** Free-form JSON objects a client sends: bounded in depth, keys and string length. */
const Json = limitJson(z.record(z.string(), z.unknown()));
/** Provider fields at the top level of a body: any JSON, within the same bounds. */
const FieldValue = limitJson(z.unknown());

export const IntegrationSchema = z
  .object({
    id: z.uuid(),
    org_id: z.string(),
    provider: z.string().openapi({ example: "sendgrid" }),
    integration_type: z.string().openapi({ example: "email", description: "The provider's category" }),
    name: z.string(),
    status: z.enum(STATUSES),
    is_active: z.boolean(),
    config: Json.openapi({ description: "Non-secret settings" }),
    secrets: z
      .record(z.string(), z.string())
      .openapi({ description: "Secret fields that are set, always masked", example: { api_key: "••••••" } }),
    missing_fields: z.array(z.string()).openapi({ description: "Required fields still without a value" }),
    api_base_url: z.string().nullable(),
    webhook_url: z.string().nullable(),
    webhook_verify_token: z.string().nullable(),
    token_expires_at: z.string().nullable(),
    last_sync_at: z.string().nullable().openapi({ description: "The last successful sync or push" }),
    last_tested_at: z.string().nullable().openapi({
      description: "The last connection test, whatever its outcome (`last_error` says how it ended)",
    }),
    last_error: z.string().nullable(),
    error_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    disconnected_at: z.string().nullable(),
    signup_url: z
      .string()
      .optional()
      .openapi({ description: "Sign-up pages only: the public submission URL (POST /signup/{id})" }),
    embed_html: z.string().optional().openapi({
      description: "Sign-up pages only: an embeddable HTML form and script posting to signup_url",
    }),
  })
  .openapi("Integration");

export const IntegrationEnvelope = z.object({ integration: IntegrationSchema });
export const MessageEnvelope = z.object({ message: z.string(), integration: IntegrationSchema });

const TYPE_VALUES: readonly string[] = [...CATEGORIES, ...PROVIDER_IDS];

export const ListQuery = z.object({
  type: z
    .string()
    .max(64)
    .refine((v) => TYPE_VALUES.includes(v), {
      error: `must be a category (${CATEGORIES.join(", ")}) or a provider id (${PROVIDER_IDS.join(", ")})`,
    })
    .optional()
    .openapi({
      description: "Category (email, whatsapp, sms, signup_page, facebook, crm, ...) or provider id",
    }),
  provider: z
    .string()
    .max(64)
    .refine((v) => PROVIDER_IDS.includes(v as never), {
      error: `must be a provider id (${PROVIDER_IDS.join(", ")})`,
    })
    .optional(),
  active_only: z.enum(["true", "false"]).optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  org_id: z.string().optional(),
  organization_slug: z.string().optional(),
});

export const ListResponse = z.object({
  integrations: z.array(IntegrationSchema),
  next_cursor: z.string().nullable(),
});

const common = {
  name: z.string().trim().min(1).max(200).optional(),
  is_active: z.boolean().optional(),
  status: z
    .enum(["active", "inactive"], { error: "must be active or inactive (the hub sets error and pending)" })
    .optional()
    .openapi({ description: "The same as is_active; the hub computes the stored status (pending, error)" }),
  config: Json.optional().openapi({
    description: "Settings; merged into the stored config (null removes a key)",
  }),
  credentials: Json.optional().openapi({
    description: "Field values by name (secrets go to the vault); the same as sending them at the top level",
  }),
  api_base_url: z.url().max(2048).nullable().optional(),
  webhook_url: z.url().max(2048).nullable().optional(),
  webhook_verify_token: z.string().min(8).max(256).nullable().optional(),
  token_expires_at: z.iso.datetime({ offset: true }).nullable().optional().openapi({
    description: "Only together with the access token it describes; the hub keeps it when it refreshes",
  }),
  org_id: z.string().optional(),
  organization_slug: z.string().optional(),
};

/** Known top-level keys; any other top-level key must be a field of the provider. */
export const COMMON_KEYS = new Set([...Object.keys(common), "provider", "integration_type"]);

export const CreateBody = z
  .object({
    ...common,
    name: z.string().trim().min(1).max(200),
    provider: z.string().max(64).optional().openapi({ example: "sendgrid" }),
    integration_type: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: `A category (${CATEGORIES.join(", ")}) or a provider id`, example: "email" }),
  })
  .catchall(FieldValue)
  .openapi("CreateIntegration", {
    example: {
      integration_type: "email",
      provider: "sendgrid",
      name: "Transactional email",
      api_key: "SG.xxxxx",
      from_email: "noreply@example.com",
    },
  });

export const UpdateBody = z.object(common).catchall(FieldValue).openapi("UpdateIntegration");

export const ConfigureBody = z
  .object({ ...common, provider: z.string().max(64).optional() })
  .catchall(FieldValue)
  .openapi("ConfigureIntegration", {
    example: {
      provider: "sendgrid",
      from_email: "noreply@example.com",
      from_name: "My Company",
      api_key: "SG.xxxxx",
    },
  });

export const ConnectBody = z
  .object({
    token: z.string().min(1).max(16_384),
    extra: Json.default({}),
    name: z.string().trim().min(1).max(200).optional(),
    org_id: z.string().optional(),
    organization_slug: z.string().optional(),
  })
  .openapi("Connect", { example: { token: "SG.xxxxx", extra: { from_email: "noreply@example.com" } } });

export const ConnectResponse = z.object({
  status: z.literal("ok"),
  ok: z.literal(true),
  message: z.string(),
  integration: z.object({
    id: z.string(),
    provider: z.string(),
    is_active: z.boolean(),
    status: z.string(),
    extra: Json,
    created_at: z.string(),
    updated_at: z.string(),
  }),
});

export const OkResponse = z.object({ status: z.literal("ok"), ok: z.literal(true), message: z.string() });

export const IdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({
      param: { name: "id", in: "path" },
      description:
        "Integration id (UUID), or a provider id naming the organization's integration of that provider (`?integration_id=` when it has several)",
    }),
});
export const ProviderParam = z.object({
  provider: z
    .string()
    .max(64)
    .openapi({ param: { name: "provider", in: "path" }, example: "sendgrid" }),
});
export const IntegrationIdQuery = z.object({
  integration_id: z
    .uuid()
    .optional()
    .openapi({ description: "Which integration, when the organization has several of the provider" }),
  org_id: z.string().optional(),
  organization_slug: z.string().optional(),
});

export const PageQuery = z.object({
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const ProviderCatalogSchema = z
  .object({
    providers: z.array(
      z.object({
        id: z.string(),
        category: z.string(),
        display_name: z.string(),
        description: z.string(),
        auth_kind: z.string(),
        default_base_url: z.string(),
        customer_base_url: z.boolean(),
        token_field: z.string(),
        fields: z.array(
          z.object({
            name: z.string(),
            label: z.string(),
            type: z.string(),
            required: z.boolean(),
            secret: z.boolean(),
            aliases: z.array(z.string()).optional(),
            options: z.array(z.string()).optional(),
            default: z.union([z.string(), z.number(), z.boolean()]).optional(),
            placeholder: z.string().optional(),
            help: z.string().optional(),
            location: z.literal("integration").optional().openapi({
              description:
                "`integration`: sent as the integration's own field of that name (`api_base_url`), not in `config`",
            }),
          }),
        ),
        capabilities: z.object({
          test: z.boolean(),
          send: z.array(z.string()),
          webhooks: z.boolean(),
          oauth: z.boolean(),
          sync: z.array(z.string()),
          push: z.array(z.string()).optional(),
          calendar: z.boolean().optional(),
          leads: z.boolean().optional().openapi({
            description:
              "Captures leads, read as the integration's `contacts` records (`GET …/records/contacts`)",
          }),
          webhook_setup: z.enum(["check", "register"]).optional(),
          accounts: z.string().optional().openapi({
            description: "What one connection's accounts are called (Pages); the user picks one",
          }),
        }),
        docs_url: z.string().optional(),
      }),
    ),
  })
  .openapi("ProviderCatalog");

export const StatsSchema = z
  .object({
    total: z.number(),
    by_type: z.record(z.string(), z.number()),
    by_status: z.record(z.string(), z.number()),
    error_rate: z.number(),
    with_recent_errors: z.number(),
    messages: z.object({
      total: z.number(),
      by_status: z.record(z.string(), z.number()),
      by_channel: z.record(z.string(), z.number()),
    }),
    tests: z.object({ succeeded: z.number(), failed: z.number() }),
  })
  .openapi("IntegrationStats");

/** `{id}` of `DELETE /api/integrations/{id}`: an integration id or (004) a provider id. */
export const TargetParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({
      param: { name: "id", in: "path" },
      description: "An integration id (UUID), or a provider id to disconnect that provider (004)",
    }),
});

export const DeleteResponse = z.object({
  message: z.string(),
  status: z.string().optional(),
  ok: z.boolean().optional(),
});

export const ConfigureParams = IdParam.extend({
  type: z
    .string()
    .max(64)
    .openapi({ param: { name: "type", in: "path" }, example: "email" }),
});

export const LogSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    level: z.string(),
    action: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
  })
  .openapi("IntegrationLog");

export const LogsResponse = z.object({ logs: z.array(LogSchema), next_cursor: z.string().nullable() });

/** Where the provider sends the integration's webhooks (test connection's `details.webhook`). */
export const WebhookCheckSchema = z
  .object({
    points_here: z.boolean(),
    current_url: z.string().nullable(),
    expected_url: z.string().nullable(),
    error: z.string().optional(),
  })
  .catchall(z.unknown())
  .openapi("WebhookCheck");

export const RegisterWebhooksResponse = z.object({
  ok: z.boolean(),
  message: z.string(),
  webhook: WebhookCheckSchema.optional(),
  integration: IntegrationSchema,
});

export const TestResponse = z.object({
  ok: z.boolean(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  integration: IntegrationSchema,
});
