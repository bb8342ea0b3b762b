// @ts-check
// Web UI state: the signed-in key, the connect session, the provider catalog and the loaded
// integrations, shared by every view of /integrations; plus the category cards.

/** @import { Card, Integration, Provider } from "./types.js" */

export const KEY_STORAGE = "switchboard.api_key";

/**
 * The cards, in 002's order first; provider categories map onto them.
 * @type {Card[]}
 */
export const CARDS = [
  { id: "email", title: "Email", text: "Send transactional and marketing email." },
  { id: "whatsapp", title: "WhatsApp", text: "Message customers on WhatsApp Business." },
  { id: "sms", title: "SMS", text: "Send text messages through an SMS gateway." },
  { id: "signup_page", title: "Sign Up Page", text: "Capture leads from landing pages and embedded forms." },
  {
    id: "facebook",
    title: "Facebook",
    text: "Lead Ads, Messenger and Instagram messaging.",
    also: ["social"],
  },
  { id: "crm", title: "CRM", text: "Sync contacts, companies and products." },
  {
    id: "accounting",
    title: "Accounting",
    text: "Sync customers, products and invoices; push changes back.",
  },
  { id: "messaging", title: "Messaging", text: "Chat channels such as Telegram." },
  { id: "calendar", title: "Calendar", text: "Read and create calendar events." },
  { id: "other", title: "Other", text: "Any other API with a key." },
];

/**
 * @type {{
 *   key: string,
 *   session: string,
 *   providers: Provider[],
 *   byId: Map<string, Provider>,
 *   integrations: Integration[],
 *   detailTab: string,
 *   pollTimer: number | ReturnType<typeof setTimeout>,
 * }}
 */
export const state = {
  key: sessionStorage.getItem(KEY_STORAGE) ?? "",
  session: new URLSearchParams(location.search).get("session") ?? "",
  providers: [],
  byId: new Map(),
  integrations: [],
  detailTab: "logs",
  pollTimer: 0,
};

/** @param {string} id a provider's id: its display name (the id if unknown) */
export const providerName = (id) => state.byId.get(id)?.display_name ?? id;
/**
 * The card a provider category is shown on (Other for an unknown one).
 * @param {string} category
 * @returns {Card}
 */
export const cardOf = (category) =>
  CARDS.find((c) => c.id === category || c.also?.includes(category)) ?? /** @type {Card} */ (CARDS.at(-1));

/** Stops the sync tab's polling, if any. */
export function stopPolling() {
  clearTimeout(state.pollTimer);
}
