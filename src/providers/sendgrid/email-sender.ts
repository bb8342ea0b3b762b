/**
 * What the three email API providers (SendGrid, Mailgun, Mailchimp Transactional) read alike
 * from an integration: the sender (from address, from name, reply-to) and the name under which
 * our message id rides along as provider metadata, so delivery webhooks can name our message.
 */
import { type ProviderContext, setting } from "../runtime.ts";

export interface EmailSender {
  email: string;
  name?: string;
  replyTo?: string;
}

/** Metadata key (SendGrid custom_args, Mailgun `v:` variable, Mandrill metadata) holding our id. */
export const MESSAGE_ID_METADATA = "switchboard_message_id";

const optional = (ctx: ProviderContext, name: string): string | undefined => {
  const v = ctx.config[name];
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
};

/** The sender from the integration's settings; a missing from address is a permanent error. */
export function emailSender(ctx: ProviderContext): EmailSender {
  return {
    email: setting(ctx, "from_email"),
    name: optional(ctx, "from_name"),
    replyTo: optional(ctx, "reply_to"),
  };
}
