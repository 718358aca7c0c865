import type { ChildProcess } from 'node:child_process';

/**
 * The agent cancels a task with SIGINT, then SIGTERM after ~7.5 s and a kill ~2.5 s later. One controller
 * turns the first signal into an AbortSignal every SDK call and poller already honours.
 */
export function cancellationOnSignals(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): {
  signal: AbortSignal;
  receivedSignal: () => NodeJS.Signals | undefined;
  dispose: () => void;
} {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!received) received = sig;
    controller.abort(new Error(`The task was cancelled (${sig})`));
  };
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: controller.signal,
    receivedSignal: () => received,
    dispose: () => signals.forEach((s) => process.off(s, onSignal)),
  };
}

/** Node does not forward signals to children: packer, azcopy and qemu-img must be told themselves. */
export function forwardAbortToChild(signal: AbortSignal, child: ChildProcess): void {
  const onAbort = () => {
    if (child.exitCode === null) child.kill('SIGINT');
  };
  signal.addEventListener('abort', onAbort, { once: true });
  child.once('exit', () => signal.removeEventListener('abort', onAbort));
}
