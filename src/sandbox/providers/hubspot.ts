/** Simulated hubspot API (to be filled in: the calls Switchboard makes, with the provider's real errors). */
import { simulator } from "../lib.ts";

export const hubspot = simulator();
