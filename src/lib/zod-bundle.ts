/**
 * What `zod` is in the deployed bundle (wrangler.toml `[alias]`): the members of zod 4's classic
 * API that the hub's code and the libraries it bundles read, taken from the same modules `zod`
 * itself re-exports. `import { z } from "zod"` (ours and @hono/zod-openapi's) keeps the whole
 * namespace object, so everything it names ships whether it is called or not: zod's ~250
 * exports, its `core` namespace and its ~50 locales, where the hub needs a few schema builders,
 * English messages and what their methods reach. A schema built here is the very object zod
 * builds (methods, checks, errors, JSON Schema); only the names on `z` are fewer. Types, the
 * tests and the tools use zod itself.
 *
 * Code that reads a member of `z` not exported here would get `undefined` in the deployed Worker
 * only, so `npm run check:bundle` fails until the member is added below.
 * @hono/zod-openapi reads `z.ZodType` (to add `.openapi()` to every schema).
 */
import * as z from "./zod-bundle.ts";

export * as coerce from "../../node_modules/zod/v4/classic/coerce.js";
export { ZodError } from "../../node_modules/zod/v4/classic/errors.js";
export * as iso from "../../node_modules/zod/v4/classic/iso.js";
export {
  array,
  boolean,
  discriminatedUnion,
  email,
  enum,
  literal,
  number,
  object,
  record,
  strictObject,
  string,
  union,
  unknown,
  url,
  uuid,
  ZodObject,
  ZodType,
} from "../../node_modules/zod/v4/classic/schemas.js";
export { NEVER } from "../../node_modules/zod/v4/core/core.js";
export { z, z as default };
