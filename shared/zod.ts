import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * The server's zod: `zod/mini`, whose functions tree-shake (classic zod's `z` namespace pulls all of
 * zod, ~450 KB minified, into every Lambda bundle). zod/mini loads no locale, so without this every
 * issue would just say "Invalid input"; the API's error details and the configuration errors are
 * meant to say what is wrong, in the same words as before. Import zod through this module only.
 */
config(en());

export * from 'zod/mini';
