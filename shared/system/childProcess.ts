import { spawn } from 'node:child_process';

export interface RunChildOptions {
  /** Aborting stops the child: Node does not pass the agent's SIGINT on to children (qemu-img, packer, azcopy). */
  signal?: AbortSignal;
  /** The signal that asks the child to stop cleanly (packer deletes its temporary resources on SIGINT). */
  stopSignal?: NodeJS.Signals;
  /** A child that ignores the stop signal is killed after this long; the agent kills the task ~10 s after SIGINT. */
  killAfterMs?: number;
  /** Each chunk of output as it arrives, for tools whose output is streamed to the log. */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** The error for a command that is not installed (spawn's ENOENT), naming what to install. */
  missing?: () => Error;
  /** Extra environment of the child only (credentials a tool reads), on top of this process's. */
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Run the child in a process group of its own and signal the whole group: packer re-executes itself under a
   * wrapper that does not pass a signal sent to its own pid on to the build.
   */
  processGroup?: boolean;
}

export interface ChildResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a child process to its end: output collected (and streamed when asked), a missing command explained, and
 * cancellation forwarded. On abort the child gets `stopSignal`, then SIGKILL if it is still there after
 * `killAfterMs`; the promise rejects with the abort reason once the child is gone, so no child outlives the task.
 * A non-zero exit resolves: what it means is the caller's business.
 */
export function runChild(
  command: string,
  args: string[],
  options: RunChildOptions = {},
): Promise<ChildResult> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ? { ...process.env, ...options.env } : undefined,
      cwd: options.cwd,
      detached: options.processGroup === true,
    });
    const send = (sig: NodeJS.Signals) => {
      try {
        if (options.processGroup && child.pid) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // Already gone.
      }
    };
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(d.toString());
    });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      send(options.stopSignal ?? 'SIGINT');
      killTimer = setTimeout(() => send('SIGKILL'), options.killAfterMs ?? 5_000);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(e.code === 'ENOENT' && options.missing ? options.missing() : e);
    });
    child.once('close', (code) => {
      done();
      if (signal?.aborted) reject(signal.reason);
      else resolve({ exitCode: code ?? -1, stdout, stderr });
    });
  });
}
