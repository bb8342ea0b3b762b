/**
 * What `zod` is in the deployed bundle (wrangler.toml `[alias]`): zod 4's classic API, the same
 * modules `zod` itself re-exports, minus its `locales` namespace. `import { z } from "zod"` (ours
 * and @hono/zod-openapi's) keeps the whole namespace object, so every one of zod's ~50 locales
 * (260 KiB minified) would ship although the hub speaks only zod's default, English. Types, the
 * tests and the tools use zod itself; nothing here changes behaviour, only what is bundled.
 */
import * as z from "./zod-bundle.ts";

export * from "../../node_modules/zod/v4/classic/checks.js";
export * as coerce from "../../node_modules/zod/v4/classic/coerce.js";
export * from "../../node_modules/zod/v4/classic/compat.js";
export { deepPartial } from "../../node_modules/zod/v4/classic/deep-partial.js";
export * from "../../node_modules/zod/v4/classic/errors.js";
export { fromJSONSchema } from "../../node_modules/zod/v4/classic/from-json-schema.js";
export { input, output } from "../../node_modules/zod/v4/classic/in-out.js";
export * as iso from "../../node_modules/zod/v4/classic/iso.js";
export {
  ZodISODate,
  ZodISODateTime,
  ZodISODuration,
  ZodISOTime,
} from "../../node_modules/zod/v4/classic/iso.js";
export * from "../../node_modules/zod/v4/classic/parse.js";
export * from "../../node_modules/zod/v4/classic/schemas.js";
export {
  $brand,
  $input,
  $output,
  clone,
  compile,
  config,
  flattenError,
  formatError,
  getDiscriminatedOption,
  globalRegistry,
  INVALID,
  memoizer,
  NEVER,
  prettifyError,
  regexes,
  registry,
  TimePrecision,
  toZod,
  treeifyError,
  util,
  withParser,
  ZodCompileAsyncError,
  ZodCompileUnsupportedError,
} from "../../node_modules/zod/v4/core/index.js";
export { toJSONSchema } from "../../node_modules/zod/v4/core/json-schema-processors.js";
export * as core from "./zod-bundle-core.ts";
export { z, z as default };
