import type { AzureContext } from './context';
import { InputError } from '../validation/inputError';

/**
 * The context with a deadline: every call and poll made through it stops when the time is up, and the cleanup
 * stack then removes what was half made. `expired()` turns the abort that follows into an error naming the input.
 */
export function withDeadline(
  ctx: AzureContext,
  seconds: number,
  input = 'timeout',
): { ctx: AzureContext; expired: (e: unknown) => unknown } {
  const deadline = AbortSignal.timeout(seconds * 1000);
  const signal = ctx.abortSignal ? AbortSignal.any([ctx.abortSignal, deadline]) : deadline;
  return {
    ctx: { ...ctx, abortSignal: signal },
    expired: (e) =>
      deadline.aborted && !ctx.abortSignal?.aborted
        ? new InputError(input, `the work did not finish within ${seconds} s; give a longer timeout`)
        : e,
  };
}
