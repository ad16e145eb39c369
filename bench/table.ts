// The one table a bench prints: each row the engine's figure, the baseline measured in the same run, and their ratio.

export interface Row {
  measure: string;
  engine: number;
  baseline: number;
  unit: string;
  /** Whether more is better (throughput) or less (latency, events, bytes): the ratio is always engine/baseline. */
  goal: string;
}

const fixed = (value: number) => (Number.isFinite(value) ? (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1)) : 'n/a');

export function formatTable(title: string, rows: Row[]): string {
  const header = ['measure', 'engine', 'baseline', 'ratio', 'goal'];
  const cells = rows.map((row) => [
    row.measure,
    `${fixed(row.engine)} ${row.unit}`,
    `${fixed(row.baseline)} ${row.unit}`,
    `${(row.engine / row.baseline).toFixed(2)}x`,
    row.goal,
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...cells].map((line) => (line[column] ?? '').length)));
  const line = (values: string[]) => `| ${values.map((value, column) => value.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [title, '', line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...cells.map(line), ''].join('\n');
}
