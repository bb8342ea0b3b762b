declare module "*?raw" {
  /** A file's text, as Vite's `?raw` import gives it (the README in test/providers/readme-table.test.ts). */
  const text: string;
  export default text;
}
