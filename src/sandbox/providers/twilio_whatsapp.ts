/**
 * Simulated WhatsApp via Twilio: the Twilio simulator (same host and Messages API, numbers
 * prefixed `whatsapp:`), recording its accepted sends under `twilio_whatsapp`.
 */
import { twilioSimulator } from "./twilio.ts";

export const twilio_whatsapp = twilioSimulator("twilio_whatsapp");
