/**
 * Lead Ads: a `leadgen` webhook names a lead but carries none of its answers (providers.md §1b),
 * so the hub fetches it with `GET /{leadgen-id}` and the Page token, and maps the answers
 * (`field_data[] {name, values[]}`) onto a contact.
 */
import { field, type ProviderContext } from "../runtime.ts";
import type { Lead, LeadSource } from "../types.ts";
import { answerField, graph, node } from "./graph.ts";

/** Lead form question names (Meta's standard ones) → contact fields. */
const CONTACT_FIELDS: Record<string, string> = {
  email: "email",
  full_name: "name",
  first_name: "first_name",
  last_name: "last_name",
  phone_number: "phone",
  company_name: "company",
  job_title: "job_title",
  city: "city",
  country: "country",
  zip_code: "postal_code",
  street_address: "address",
};

async function fetchLead(ctx: ProviderContext, leadgenId: string): Promise<Lead> {
  const res = await graph(ctx, "Facebook", {
    path: node(leadgenId),
    query: { fields: "id,created_time,field_data,form_id,ad_id,campaign_id" },
  });
  const answers: Record<string, string> = {};
  const data = field(res.data, "field_data");
  for (const item of Array.isArray(data) ? data : []) {
    const name = field(item, "name");
    const values = field(item, "values");
    if (typeof name === "string" && Array.isArray(values)) answers[name] = values.map(String).join(", ");
  }
  const contact: Record<string, string> = {};
  for (const [question, value] of Object.entries(answers)) {
    const key = CONTACT_FIELDS[question];
    if (key && value) contact[key] = value;
  }
  if (!contact.name && (contact.first_name || contact.last_name))
    contact.name = [contact.first_name, contact.last_name].filter(Boolean).join(" ");
  const formId = field(res.data, "form_id");
  return {
    externalId: answerField(res, "Facebook", "id"),
    contact,
    answers,
    ...(typeof formId === "string" ? { formId } : {}),
    raw: res.data,
  };
}

/**
 * Lead Ads as the hub takes them: only with `enable_lead_ads`, only of `lead_form_id` when one is
 * set, stored as contacts unless `auto_create_contacts` is off.
 */
export const leads: LeadSource = {
  source: "facebook_lead_ads",
  skipReason(config, formId) {
    if (config.enable_lead_ads !== true) return "Lead Ads are not enabled";
    const only = typeof config.lead_form_id === "string" ? config.lead_form_id.trim() : "";
    return only && formId && formId !== only ? `form ${formId} is not ${only}` : null;
  },
  createsContacts: (config) => config.auto_create_contacts !== false,
  fetch: fetchLead,
};
