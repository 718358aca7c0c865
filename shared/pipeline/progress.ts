import * as tl from 'azure-pipelines-task-lib/task';

/**
 * Progress for long work: `##vso[task.setprogress]` drives the agent's progress bar, and a percentage line
 * stays in the log for people reading it afterwards. Throttled so a fast loop does not flood the log.
 */
export function createProgressReporter(
  label: string,
  minIntervalMs = 2_000,
): (percent: number, detail?: string) => void {
  let lastPercent = -1;
  let lastAt = 0;
  return (percent, detail) => {
    const value = Math.max(0, Math.min(100, Math.floor(percent)));
    const now = Date.now();
    // Never backwards: work whose total grows as it is found (a scan overlapping the upload) must not make the
    // agent's bar jump back.
    if (value <= lastPercent || (value < 100 && value !== 0 && now - lastAt < minIntervalMs)) return;
    lastPercent = value;
    lastAt = now;
    tl.setProgress(value, label);
    console.log(`${label}: ${value}%${detail ? ` (${detail})` : ''}`);
  };
}
