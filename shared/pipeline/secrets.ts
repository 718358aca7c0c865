import * as tl from 'azure-pipelines-task-lib/task';

/**
 * The agent masks registered values in every later log line, including child processes' output. It takes one
 * line per secret, so a PEM certificate is registered line by line (its BEGIN/END markers are not secret).
 */
export function registerSecret(value: string | undefined): void {
  if (!value || !value.trim()) return;
  if (!/[\r\n]/.test(value)) {
    tl.setSecret(value);
    return;
  }
  for (const line of value.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.length >= 8 && !trimmed.startsWith('-----')) tl.setSecret(trimmed);
  }
}
