/**
 * A problem with what the user typed. `input` names the task input (or service connection) at fault so the
 * message can point at the field to fix; it is thrown before any Azure call is made.
 */
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`Input '${input}': ${message}`);
    this.name = 'InputError';
  }
}
