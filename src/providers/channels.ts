// The message channels: how each one's recipient is written and what content a message needs.
import type { Issue } from "../errors.ts";

/** Message channels a provider can send on. */
export type Channel = "email" | "sms" | "whatsapp" | "telegram" | "messenger" | "instagram";

/** Every channel a provider may send on (a module's `channels` name some of them). */
export const CHANNELS = [
  "email",
  "sms",
  "whatsapp",
  "telegram",
  "messenger",
  "instagram",
] as const satisfies readonly Channel[];

/** An E.164 phone number (ITU-T E.164: `+`, country code, at most 15 digits). */
export const E164_RE = /^\+[1-9]\d{6,14}$/;

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164_MESSAGE = "must be an E.164 phone number such as +14155550123";

interface ChannelRule {
  /** The recipient as the channel's rule reads it (a `whatsapp:` address is its number). */
  normalize?: (to: string) => string;
  recipient: (to: string) => boolean;
  message: string;
  /** The content fields one of which a message needs, besides `text`. */
  content: "email" | "text" | "text_or_template";
}

const RULES: Record<Channel, ChannelRule> = {
  email: { recipient: (s) => EMAIL_RE.test(s), message: "must be an email address", content: "email" },
  sms: { recipient: (s) => E164_RE.test(s), message: E164_MESSAGE, content: "text" },
  whatsapp: {
    // Twilio writes WhatsApp addresses `whatsapp:+14155550123`; both WhatsApp senders take either.
    normalize: (s) => s.replace(/^whatsapp:/, ""),
    recipient: (s) => E164_RE.test(s),
    message: E164_MESSAGE,
    content: "text_or_template",
  },
  telegram: {
    recipient: (s) => /^-?\d{1,20}$|^@[A-Za-z0-9_]{5,32}$/.test(s),
    message: "must be a chat id or @channelusername",
    content: "text",
  },
  messenger: {
    recipient: (s) => /^\d{5,32}$/.test(s),
    message: "must be a page-scoped user id (PSID)",
    content: "text",
  },
  instagram: {
    recipient: (s) => /^\d{5,32}$/.test(s),
    message: "must be an Instagram-scoped user id (IGSID)",
    content: "text",
  },
};

/** What is wrong with a message for a channel: the recipient's form and the content it needs. */
/**
 * A recipient as the channel compares it, for suppression lists: an email address lower-cased,
 * a number without Twilio's `whatsapp:` prefix, anything else trimmed.
 */
export function recipientKey(channel: Channel, to: string): string {
  const t = RULES[channel]?.normalize?.(to.trim()) ?? to.trim();
  return channel === "email" ? t.toLowerCase() : t;
}

export function channelIssues(
  channel: Channel,
  m: { to: string; subject?: string; text?: string; html?: string; template?: unknown },
): Issue[] {
  const issues: Issue[] = [];
  const rule = RULES[channel];
  if (!rule.recipient(rule.normalize?.(m.to) ?? m.to)) issues.push({ path: "to", message: rule.message });
  if (rule.content === "email") {
    if (!m.subject) issues.push({ path: "subject", message: "is required for email" });
    if (!m.text && !m.html) issues.push({ path: "text", message: "text or html is required for email" });
  } else if (rule.content === "text_or_template") {
    if (!m.text && !m.template)
      issues.push({ path: "text", message: `text or template is required for ${channel}` });
  } else if (!m.text) {
    issues.push({ path: "text", message: `is required for ${channel}` });
  }
  return issues;
}
