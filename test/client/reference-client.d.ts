/**
 * Types for reference-client.js (the 001 guide's fetch functions, plain JS). Results are typed as
 * loosely as the guide documents them: the tests check the fields.
 */
// biome-ignore lint/suspicious/noExplicitAny: the guide's functions return parsed JSON as is
type Json = any;

export const API_BASE_URL: string;
export function setApiKey(key: string): void;

export function getIntegrations(orgId: string, activeOnly?: boolean): Promise<Json[]>;
export function getIntegrationDetails(integrationId: string): Promise<Json>;
export function createIntegration(integrationData: Record<string, unknown>): Promise<Json>;
export function updateIntegration(updateData: Record<string, unknown>): Promise<Json>;
export function toggleIntegration(integrationId: string, active: boolean): Promise<Json>;
export function deleteIntegration(integrationId: string): Promise<string>;
