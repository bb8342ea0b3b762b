/** Markdown tables aligned the way `biome format` writes them (so `npm run lint` stays clean). */

/** Markdown rows with the first `left` columns left-aligned and the others (numbers) right-aligned. */
export function alignedTable(head: string[], body: string[][], left = 1): string {
  const widths = head.map((h, i) => Math.max(3, h.length, ...body.map((cells) => (cells[i] ?? "").length)));
  const cell = (text: string, i: number) =>
    i < left ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0);
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i < left ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [line(head), rule, ...body.map(line)].join("\n");
}
