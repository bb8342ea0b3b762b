/**
 * Delivery receipts the simulated providers owe. A send that names a per-message callback URL
 * (Twilio's `StatusCallback`, Plivo's `url`, Vonage's `callback`) leaves its receipts here, each
 * built by that provider's webhook sender: the provider's own payload, signed as the provider
 * signs (Twilio with the account's Auth Token over the callback URL and the sorted fields,
 * Plivo V3 and V2 with the Auth Token, Vonage with the account's signature secret).
 *
 * A real provider calls back once the carrier answers, seconds later; the simulator calls back
 * when asked, so what happens stays in the caller's hands: `GET /sandbox/_callbacks` lists
 * what is owed, `POST /sandbox/_callbacks` (optionally `?url=` or `?provider=`) sends it to the
 * hub in-process and shows how the hub answered. A message whose text contains
 * `[sandbox:undelivered]` gets a receipt saying it never arrived.
 */
import { Hono } from "hono";
import { type HubFetch, isOwnUrl } from "./webhooks/index.ts";

export interface OwedCallback {
  provider: string;
  /** The callback URL the send named. */
  url: string;
  providerMessageId: string;
  /** The statuses reported, in the order the provider reports them. */
  statuses: string[];
  /** The provider's request reporting one status. */
  build: (status: string) => Promise<Request>;
}

const owed: OwedCallback[] = [];
const OWED_MAX = 1000;

/** Records the receipts an accepted send will get. */
export function oweCallback(callback: OwedCallback): void {
  owed.push(callback);
  if (owed.length > OWED_MAX) owed.shift();
}

/** Whether a message asks for a receipt saying it was not delivered. */
export const undelivered = (...parts: (string | undefined)[]): boolean =>
  parts.some((p) => p?.includes("[sandbox:undelivered]"));

const view = (c: OwedCallback) => ({
  provider: c.provider,
  url: c.url,
  provider_message_id: c.providerMessageId,
  statuses: c.statuses,
});

export function callbackControl(hub?: HubFetch) {
  const app = new Hono<{ Bindings: Env }>();
  const matches = (cb: OwedCallback, url?: string, provider?: string) =>
    (!url || cb.url === url) && (!provider || cb.provider === provider);

  app.get("/", (c) => c.json({ callbacks: owed.map(view) }));

  app.post("/", async (c) => {
    const url = c.req.query("url");
    const provider = c.req.query("provider");
    const due = owed.filter((cb) => matches(cb, url, provider));
    for (const cb of due) owed.splice(owed.indexOf(cb), 1);
    const delivered = [];
    for (const cb of due) {
      // Only this deployment's own URLs are called: the sandbox reaches nothing else.
      if (!hub || !isOwnUrl(c, cb.url)) {
        delivered.push({ ...view(cb), skipped: "not a URL of this deployment" });
        continue;
      }
      const answers = [];
      for (const status of cb.statuses) {
        const res = await hub(await cb.build(status), c.env, c.executionCtx);
        await res.body?.cancel();
        answers.push({ status, response: { status: res.status } });
      }
      delivered.push({ ...view(cb), sent: answers });
    }
    return c.json({ delivered });
  });
  return app;
}
