/**
 * What `@asteasolutions/zod-to-openapi` is in the deployed bundle (wrangler.toml `[alias]`). The
 * Worker never writes its OpenAPI document: src/openapi.ts writes it ahead of time, from the same
 * route definitions with the library itself, and static assets serve it. So here the library's
 * three uses at run time are kept as what they come to without a document:
 * - `.openapi(…)` on a schema (documentation metadata) answers the schema itself, so it validates
 *   exactly as before;
 * - the registry that `createRoute`/`app.openapi()` and `app.route()` fill keeps nothing;
 * - the document generators, which only @hono/zod-openapi's `getOpenAPIDocument` reaches, throw.
 * About 29 KiB stay out of the bundle. The tests and `npm run openapi` use the library itself, and
 * `npm run check:bundle` runs the deployed bundle to see its routes validate and answer.
 */

/** Adds `.openapi()` to zod's schemas, as the library does, as a method that keeps the schema. */
export function extendZodWithOpenApi(zod: { ZodType: { prototype: object } }): void {
  const proto = zod.ZodType.prototype as { openapi?: unknown };
  if (typeof proto.openapi !== "undefined") return;
  proto.openapi = function openapi(this: unknown) {
    return this;
  };
}

/** No metadata is kept, so none is found. */
export const getOpenApiMetadata = (_schema: unknown): Record<string, never> => ({});

/** A registry that registers nothing: what it would hold only ever goes into the document. */
export class OpenAPIRegistry {
  readonly definitions: never[] = [];
  register<T>(_refId: string, schema: T): T {
    return schema;
  }
  registerParameter<T>(_refId: string, schema: T): T {
    return schema;
  }
  registerPath(_route: unknown): void {}
  registerWebhook(_webhook: unknown): void {}
  registerComponent(type: string, name: string, _component: unknown) {
    return { name, ref: { $ref: `#/components/${type}/${name}` } };
  }
}

class PrebuiltDocument {
  constructor() {
    throw new Error("This build serves its OpenAPI document from public/openapi.json (npm run openapi)");
  }
}

export { PrebuiltDocument as OpenApiGeneratorV3, PrebuiltDocument as OpenApiGeneratorV31 };
