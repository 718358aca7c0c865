import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';

/** Attaches Markdown to the run's summary page (a tab people read instead of the log). */
export function uploadSummary(taskName: string, markdown: string): void {
  const dir = tl.getVariable('Agent.TempDirectory') ?? process.cwd();
  const file = path.join(dir, `${taskName}-${Date.now()}-summary.md`);
  fs.writeFileSync(file, markdown, 'utf8');
  tl.uploadSummary(file);
}

/** A Markdown table; cells are escaped so a `|` in a name does not break the layout. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}
