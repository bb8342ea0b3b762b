/**
 * CSV as RFC 4180 writes it (CRLF rows; a field with a comma, quote or line break quoted, its
 * quotes doubled), safe to open in a spreadsheet: a cell that begins with `=`, `+`, `-`, `@`, a
 * tab or a carriage return is prefixed with `'` so it is never run as a formula (OWASP, "CSV
 * Injection").
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: strings as they are, other values as JSON, nothing for null and undefined. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s =
    typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A whole document: the header row, then one row per item, each line ending in CRLF. */
export function toCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const line = (cells: readonly unknown[]) => `${cells.map(csvCell).join(",")}\r\n`;
  return line(columns) + rows.map(line).join("");
}
