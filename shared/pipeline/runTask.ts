import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { CleanupStack } from '../azure/cleanup';
import { formatAzureError } from '../azure/errors';
import type { Logger } from '../azure/logger';
import { InputError } from '../validation/inputError';
import { cancellationOnSignals } from './cancel';
import { taskLogger } from './taskLogger';

export interface TaskRunContext {
  signal: AbortSignal;
  logger: Logger;
  cleanup: CleanupStack;
  /** Records something that went wrong without failing the task: it ends SucceededWithIssues. */
  issue(message: string): void;
}

/** Seconds left for cleanup after SIGINT before the agent's SIGTERM (~7.5 s) and kill (~2.5 s later). */
const CANCEL_CLEANUP_BUDGET_MS = 6_000;

/**
 * The frame of every task: messages from task.json, cancellation, the cleanup stack unwound on success,
 * failure and cancellation, and one clear failure message (input errors as they are, Azure errors with code and
 * correlation id).
 */
export async function runTask(name: string, body: (ctx: TaskRunContext) => Promise<void>): Promise<void> {
  tl.setResourcePath(path.join(__dirname, 'task.json'), true);
  const cancel = cancellationOnSignals();
  const cleanup = new CleanupStack(taskLogger);
  let failure: string | undefined;
  const issues: string[] = [];
  const issue = (message: string) => {
    tl.warning(message);
    issues.push(message);
  };
  try {
    await body({ signal: cancel.signal, logger: taskLogger, cleanup, issue });
  } catch (e) {
    if (cancel.signal.aborted) failure = `${name} was cancelled`;
    else if (e instanceof InputError) failure = e.message;
    else failure = formatAzureError(e, name);
  } finally {
    const cancelled = cancel.signal.aborted;
    const report = await cleanup.unwind({ cancelled, budgetMs: CANCEL_CLEANUP_BUDGET_MS });
    if (report.failed.length || report.pending.length) {
      const left = [...report.failed.map((f) => f.description), ...report.pending];
      tl.warning(`Check these resources, cleanup did not finish: ${left.join('; ')}`);
    }
    cancel.dispose();
  }
  if (failure !== undefined) tl.setResult(tl.TaskResult.Failed, failure);
  else if (issues.length) tl.setResult(tl.TaskResult.SucceededWithIssues, issues.join('; '));
  else tl.setResult(tl.TaskResult.Succeeded, `${name} succeeded`);
}
