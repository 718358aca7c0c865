import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseVso, type VsoCommand } from './vso';

export interface TaskRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  result?: 'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Cancelled' | 'Skipped';
  resultMessage?: string;
  variables: Record<string, { value: string; isSecret: boolean; isOutput: boolean }>;
  secrets: string[];
  progress: { percent: number; text: string }[];
  summaries: { path: string; content: string }[];
  warnings: string[];
  errors: string[];
  commands: VsoCommand[];
  durationMs: number;
  /** The task's process id, and when SIGINT was sent (ms since start), if it was. */
  pid?: number;
  cancelledAtMs?: number;
  /** The agent's work folder, when kept (`keepWorkDir`); `_temp` inside it is Agent.TempDirectory. */
  workDir?: string;
}

export interface RunTaskOptions {
  inputs: Record<string, string>;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Send SIGINT after this many ms, as the agent does when a run is cancelled. */
  cancelAfterMs?: number;
  /** Send SIGINT as soon as the task prints a line matching this (cancel in the middle of a given step). */
  cancelOnOutput?: RegExp;
  /** Keep the agent's work folder (run.workDir) for the test to inspect; the test removes it. */
  keepWorkDir?: boolean;
  /** Run a bundle elsewhere than tasks/<task>/index.js (the unpacked .vsix). */
  taskDir?: string;
}

const ROOT = path.resolve(__dirname, '../..');

/** The input's environment name as the agent makes it: INPUT_ + upper case, spaces to '_'. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * Runs a bundled task as the agent does: `node index.js` in its folder with INPUT_*, ENDPOINT_*, SYSTEM_* and
 * AGENT_* variables, and nothing of this process's environment but PATH and HOME. A failed task still exits 0;
 * its result is the `task.complete` command.
 */
export async function runTask(task: string, options: RunTaskOptions): Promise<TaskRun> {
  const taskDir = options.taskDir ?? path.join(ROOT, 'tasks', task);
  const bundle = path.join(taskDir, 'index.js');
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} does not exist: run npm run build first`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `agent-${task}-`));
  const temp = path.join(work, '_temp');
  fs.mkdirSync(temp);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? work,
    AGENT_TEMPDIRECTORY: temp,
    AGENT_WORKFOLDER: work,
    AGENT_VERSION: '4.260.0',
    AGENT_NAME: 'local-harness',
    AGENT_OS: 'Linux',
    SYSTEM_DEFAULTWORKINGDIRECTORY: work,
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: 'https://dev.azure.com/local-org/',
    SYSTEM_TEAMPROJECT: 'local-project',
    SYSTEM_HOSTTYPE: 'build',
    BUILD_BUILDNUMBER: '20261125.1',
    BUILD_BUILDID: '1',
    TASK_DISPLAYNAME: task,
  };
  for (const [name, value] of Object.entries(options.inputs)) env[inputVariable(name)] = value;
  Object.assign(env, options.env ?? {});
  const started = Date.now();
  const child = spawn(process.execPath, [bundle], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let cancelledAtMs: number | undefined;
  const cancel = () => {
    if (cancelledAtMs !== undefined) return;
    cancelledAtMs = Date.now() - started;
    child.kill('SIGINT');
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (options.cancelOnOutput?.test(stdout)) cancel();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timers: NodeJS.Timeout[] = [];
  if (options.cancelAfterMs !== undefined) timers.push(setTimeout(cancel, options.cancelAfterMs));
  timers.push(setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000));
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, sig) => resolve([code, sig])),
  );
  timers.forEach(clearTimeout);
  const commands = parseVso(stdout);
  const run: TaskRun = {
    exitCode,
    signal,
    stdout,
    stderr,
    variables: {},
    secrets: [],
    progress: [],
    summaries: [],
    warnings: [],
    errors: [],
    commands,
    durationMs: Date.now() - started,
    pid: child.pid,
    cancelledAtMs,
    workDir: options.keepWorkDir ? work : undefined,
  };
  for (const c of commands) {
    if (c.name === 'task.complete') {
      run.result = c.props.result as TaskRun['result'];
      run.resultMessage = c.message;
    } else if (c.name === 'task.setvariable') {
      run.variables[c.props.variable] = {
        value: c.message,
        isSecret: c.props.issecret === 'true',
        isOutput: c.props.isOutput === 'true' || c.props.isoutput === 'true',
      };
    } else if (c.name === 'task.setsecret') {
      run.secrets.push(c.message);
    } else if (c.name === 'task.setprogress') {
      run.progress.push({ percent: Number(c.props.value), text: c.message });
    } else if (c.name === 'task.uploadsummary') {
      run.summaries.push({
        path: c.message,
        content: fs.existsSync(c.message) ? fs.readFileSync(c.message, 'utf8') : '',
      });
    } else if (c.name === 'task.logissue') {
      (c.props.type === 'error' ? run.errors : run.warnings).push(c.message);
    }
  }
  if (!options.keepWorkDir) fs.rmSync(work, { recursive: true, force: true });
  return run;
}

/** Every secret value must be absent from everything the task printed. */
export function leakedSecrets(run: TaskRun, secrets: string[]): string[] {
  const output = `${run.stdout}\n${run.stderr}`;
  return secrets.filter(
    (s) =>
      s &&
      output.split(/\r?\n/).some((line) => !line.startsWith('##vso[task.setsecret]') && line.includes(s)),
  );
}

/** For assertion messages: the whole output of a run that did not do what the test expected. */
export function describeRun(run: TaskRun): string {
  return `result=${run.result} message=${run.resultMessage}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
}
