/** The benchmark's console output: a tagged progress line, and byte counts in MB. */

/** Prints one progress line, tagged `[bench]`. */
export const say = (msg: string) => console.log(`\x1b[36m[bench]\x1b[0m ${msg}`);

/** `bytes` as megabytes with one decimal, e.g. `12.5 MB`. */
export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
