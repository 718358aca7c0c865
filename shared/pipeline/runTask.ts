import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { publishJUnit } from './testResults';
import { CleanupStack } from '../azure/cleanup';
import type { AzureContext } from '../azure/context';
import { formatAzureError } from '../azure/errors';
import type { Logger } from '../azure/logger';
import type { AzureRmConnection } from '../azure/serviceConnection';
import { InputError } from '../validation/inputError';
import { createAzureContext } from './azureContext';
import { cancellationOnSignals } from './cancel';
import { readDevOpsRun, type DevOpsRun } from './devOps';
import { setOutput } from './outputs';
import { createProgressReporter } from './progress';
import { registerSecret } from './secrets';
import { readAzureRmConnection } from './serviceConnection';
import { taskLogger } from './taskLogger';

/**
 * Everything an adapter may know of the agent, in one place: adapters never import azure-pipelines-task-lib
 * (lint enforces it), so the library stays runnable from tests and scripts.
 */
export interface TaskRunContext {
  signal: AbortSignal;
  logger: Logger;
  cleanup: CleanupStack;
  /** Records something that went wrong without failing the task: it ends SucceededWithIssues. */
  issue(message: string): void;
  /** The task's Azure Resource Manager service connection as a ready context (read once per run). */
  connect(): Promise<AzureContext>;
  /**
   * The connection itself, secrets registered: for a tool that signs in on its own (packer gets the credentials
   * through its environment). Library code uses `connect()`.
   */
  connection(): Promise<AzureRmConnection>;
  /** A second Azure Resource Manager connection named by an optional input (another tenant); undefined if empty. */
  connectOptional(inputName: string): Promise<AzureContext | undefined>;
  /** Attaches Markdown to the run's summary page. */
  summary(markdown: string): void;
  /** Sets an output variable declared in task.json `outputVariables`. */
  output(name: string, value: string): void;
  /** A progress reporter: `##vso[task.setprogress]` plus a percentage line in the log. */
  progress(label: string, minIntervalMs?: number): (percent: number, detail?: string) => void;
  /** Masks a value in every later log line (SAS URLs, generated passwords). */
  secret(value: string): void;
  /** Publishes a JUnit file to the run's Tests tab. */
  publishTestResults(file: string, runTitle: string): void;
  /** `Build.BuildNumber` of the run, if any. */
  buildNumber?: string;
  /** The agent's temp directory (cleaned by the agent after the job). */
  tempDirectory: string;
  /** The Azure DevOps run: organization, project, build URL, commit and the job's token (read on first use). */
  devOps(): DevOpsRun;
}

/** Seconds left for cleanup after SIGINT before the agent's SIGTERM (~7.5 s) and kill (~2.5 s later). */
const CANCEL_CLEANUP_BUDGET_MS = 6_000;

function attachSummary(taskName: string, tempDirectory: string, markdown: string): void {
  const file = path.join(tempDirectory, `${taskName}-${Date.now()}-summary.md`);
  fs.writeFileSync(file, markdown, 'utf8');
  tl.uploadSummary(file);
}

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
  const tempDirectory = tl.getVariable('Agent.TempDirectory') ?? process.cwd();
  let azure: Promise<AzureContext> | undefined;
  let connection: Promise<AzureRmConnection> | undefined;
  let devOps: DevOpsRun | undefined;
  const run: TaskRunContext = {
    signal: cancel.signal,
    logger: taskLogger,
    cleanup,
    issue: (message) => {
      tl.warning(message);
      issues.push(message);
    },
    connection: () => (connection ??= readAzureRmConnection()),
    connect: () =>
      (azure ??= (connection ??= readAzureRmConnection()).then((conn) =>
        createAzureContext(conn, { task: name, signal: cancel.signal }),
      )),
    connectOptional: async (inputName) =>
      tl.getInput(inputName, false)?.trim()
        ? createAzureContext(await readAzureRmConnection(inputName), { task: name, signal: cancel.signal })
        : undefined,
    summary: (markdown) => attachSummary(name, tempDirectory, markdown),
    output: setOutput,
    progress: createProgressReporter,
    secret: registerSecret,
    publishTestResults: publishJUnit,
    buildNumber: tl.getVariable('Build.BuildNumber') || undefined,
    tempDirectory,
    devOps: () => (devOps ??= readDevOpsRun()),
  };
  try {
    await body(run);
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
