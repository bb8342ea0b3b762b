/**
 * What zod's JSON Schema conversion is in the deployed bundle (wrangler.toml `[alias]` for the two
 * modules zod's classic schemas import it from). The Worker never converts a schema to JSON
 * Schema: the OpenAPI document is written ahead of time (`npm run openapi`) with zod itself. Each
 * schema still gets its converter hooks, as zod assigns them, but they throw if ever called.
 * About 17 KiB stay out of the bundle. If zod's schemas import a name missing here, the build
 * fails (esbuild: no matching export), so a zod upgrade cannot ship a silent gap.
 */

function unavailable(): never {
  throw new Error(
    "JSON Schema conversion is not part of the deployed bundle (see src/lib/zod-json-schema.ts)",
  );
}

// from zod/v4/core/to-json-schema.js
export const createToJSONSchemaMethod = () => unavailable;
export const createStandardJSONSchemaMethod = () => unavailable;

// from zod/v4/core/json-schema-processors.js: schema introspection and one processor per schema type
export const aggregateChecks = unavailable;
export const anyProcessor = unavailable;
export const arrayProcessor = unavailable;
export const bigintProcessor = unavailable;
export const booleanProcessor = unavailable;
export const catchProcessor = unavailable;
export const customProcessor = unavailable;
export const dateProcessor = unavailable;
export const defaultProcessor = unavailable;
export const enumProcessor = unavailable;
export const fileProcessor = unavailable;
export const functionProcessor = unavailable;
export const intersectionProcessor = unavailable;
export const lazyProcessor = unavailable;
export const literalProcessor = unavailable;
export const mapProcessor = unavailable;
export const nanProcessor = unavailable;
export const neverProcessor = unavailable;
export const nonoptionalProcessor = unavailable;
export const nullProcessor = unavailable;
export const nullableProcessor = unavailable;
export const numberProcessor = unavailable;
export const objectProcessor = unavailable;
export const optionalProcessor = unavailable;
export const pipeProcessor = unavailable;
export const prefaultProcessor = unavailable;
export const promiseProcessor = unavailable;
export const readonlyProcessor = unavailable;
export const recordProcessor = unavailable;
export const setProcessor = unavailable;
export const stringProcessor = unavailable;
export const successProcessor = unavailable;
export const symbolProcessor = unavailable;
export const templateLiteralProcessor = unavailable;
export const transformProcessor = unavailable;
export const tupleProcessor = unavailable;
export const undefinedProcessor = unavailable;
export const unionProcessor = unavailable;
export const unknownProcessor = unavailable;
export const voidProcessor = unavailable;
