/**
 * WhatsApp via Twilio: the same Messages API as Twilio SMS with `whatsapp:`-prefixed numbers.
 * Free text goes in Body; a template goes by its Content SID (HX...) with numbered variables.
 */

import {
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type SendResult,
  setting,
} from "../runtime.ts";
import { createMessage, fetchAccount, type TwilioMessageParams } from "../twilio/api.ts";

export const test = fetchAccount;

const CONTENT_SID_RE = /^HX[0-9a-fA-F]{32}$/;

/** `whatsapp:+15551234567` → `+15551234567`: the number a WhatsApp address names. */
export const bareNumber = (address: string): string => address.replace(/^whatsapp:/, "");

/** `+15551234567` → `whatsapp:+15551234567` (kept as is when already prefixed). */
export const whatsappAddress = (number: string): string =>
  number.startsWith("whatsapp:") ? number : `whatsapp:${number}`;

/**
 * Twilio sends approved WhatsApp templates through the Content API: `ContentSid` names the
 * template (its language is part of it, so `template.language` is not sent) and
 * `ContentVariables` fills {{1}}, {{2}}, ... from the template's params.
 */
function templateParams(template: NonNullable<OutboundMessage["template"]>) {
  if (!CONTENT_SID_RE.test(template.name)) {
    throw new ProviderError(
      "permanent",
      "Twilio: a WhatsApp template is sent by its Content SID; template.name must be HX followed by 32 hex digits",
    );
  }
  const variables = Object.fromEntries(template.params.map((value, i) => [String(i + 1), value]));
  return {
    ContentSid: template.name,
    ContentVariables: template.params.length ? JSON.stringify(variables) : undefined,
  };
}

export function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const params: TwilioMessageParams = {
    To: whatsappAddress(msg.to),
    From: whatsappAddress(setting(ctx, "from_whatsapp")),
    ...(msg.template ? templateParams(msg.template) : { Body: msg.text ?? "" }),
  };
  return createMessage(ctx, params);
}
