import * as tl from 'azure-pipelines-task-lib/task';

/** The agent masks registered values in every later log line, including child processes' output. */
export function registerSecret(value: string | undefined): void {
  if (value && value.trim()) tl.setSecret(value);
}
