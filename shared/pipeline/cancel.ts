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
