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
