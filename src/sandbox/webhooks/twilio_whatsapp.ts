/** WhatsApp via Twilio: Twilio's webhooks (twilio.ts) with `whatsapp:`-prefixed numbers. */
import { twilioSender } from "./twilio.ts";

export const twilio_whatsapp = twilioSender(true);
