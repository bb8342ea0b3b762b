/**
 * WhatsApp Business Cloud API calls on the integration's phone number: test with
 * `GET /{phone-number-id}?fields=display_phone_number,verified_name`, and send text or template
 * messages with `POST /{phone-number-id}/messages` (JSON, `messaging_product: "whatsapp"`).
 */
import { answerField, graph, node } from "../facebook/graph.ts";
import {
  type OutboundMessage,
  type ProviderContext,
  type SendResult,
  setting,
  type TestResult,
} from "../runtime.ts";

const phoneNumber = (ctx: ProviderContext) => node(setting(ctx, "phone_number_id"));

/** The recipient as the Cloud API takes it: E.164 digits, without `+` or a `whatsapp:` prefix. */
const recipient = (to: string) => to.replace(/^whatsapp:/, "").replace(/^\+/, "");

/**
 * The message object: a template when one is given (the only kind allowed outside the 24-hour
 * customer-service window), its params filling the body's {{1}}, {{2}}, ...; text otherwise.
 */
function content(msg: OutboundMessage): Record<string, unknown> {
  const t = msg.template;
  if (!t) return { type: "text", text: { body: msg.text ?? "" } };
  const components = t.params.length
    ? [{ type: "body", parameters: t.params.map((text) => ({ type: "text", text })) }]
    : undefined;
  return { type: "template", template: { name: t.name, language: { code: t.language }, components } };
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await graph(ctx, "WhatsApp", {
    path: phoneNumber(ctx),
    query: { fields: "display_phone_number,verified_name" },
  });
  const name = answerField(res, "WhatsApp", "verified_name");
  const number = answerField(res, "WhatsApp", "display_phone_number");
  return {
    message: `Connected as ${name} (${number})`,
    details: { verified_name: name, display_phone_number: number },
  };
}

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const res = await graph(ctx, "WhatsApp", {
    method: "POST",
    path: `${phoneNumber(ctx)}/messages`,
    json: { messaging_product: "whatsapp", to: recipient(msg.to), ...content(msg) },
  });
  return { providerMessageId: answerField(res, "WhatsApp", "messages", "0", "id") };
}
