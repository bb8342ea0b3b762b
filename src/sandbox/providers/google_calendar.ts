/** Simulated google_calendar API (to be filled in: the calls Switchboard makes, with the provider's real errors). */
import { simulator } from "../lib.ts";

export const google_calendar = simulator();
