import { RESULT_MARK } from './linuxScript';
import type { Check } from './spec';

export type CheckStatus = 'pass' | 'fail' | 'error';

export interface CheckResult {
  check: Check;
  status: CheckStatus;
  /** What the check asked for, in words. */
  expected: string;
  /** What the VM had (one line, as the script reported it). */
  actual: string;
  durationMs: number;
}

/** What a check asks for, as the summary and the JUnit file say it. */
export function expectation(check: Check): string {
  switch (check.kind) {
    case 'package':
      return `package ${check.package} installed${check.version ? ` (${check.version.trim()})` : ''}`;
    case 'service': {
      const parts = [
        check.enabled !== undefined ? (check.enabled ? 'enabled' : 'disabled') : '',
        check.active !== undefined ? (check.active ? 'active' : 'inactive') : '',
      ].filter(Boolean);
      return `service ${check.service} ${parts.join(', ') || 'active'}`;
    }
    case 'file': {
      if (check.present === false) return `${check.file} absent`;
      const parts = [
        check.mode ? `mode ${check.mode}` : '',
        check.owner ? `owner ${check.owner}` : '',
        check.contains !== undefined ? `contains "${check.contains}"` : '',
        check.matches ? `matches /${check.matches}/` : '',
      ].filter(Boolean);
      return `${check.file} present${parts.length ? `, ${parts.join(', ')}` : ''}`;
    }
    case 'port':
      return `${check.protocol ?? 'tcp'} port ${check.port} listening`;
    case 'command':
      return `\`${check.command}\` exits ${check.exitCode ?? 0}${check.output ? `, output matches /${check.output}/` : ''}`;
    case 'sysctl':
      return `${check.sysctl} = ${check.value}`;
    case 'user':
      return check.present === false
        ? `user ${check.user} absent`
        : `user ${check.user} present${check.groups?.length ? `, in ${check.groups.join(', ')}` : ''}`;
    case 'group':
      return `group ${check.group} ${check.present === false ? 'absent' : 'present'}`;
  }
}

/**
 * The result of every check from the script's output. A check without a result line is an error (the script
 * stopped before it): never a pass, whatever the runner said about the script.
 */
export function parseCheckResults(checks: Check[], stdout: string): CheckResult[] {
  const lines = new Map<number, { status: CheckStatus; ms: number; actual: string }>();
  for (const line of stdout.split(/\r?\n/)) {
    const [mark, index, status, ms, ...rest] = line.split('\t');
    if (mark !== RESULT_MARK || !['pass', 'fail', 'error'].includes(status)) continue;
    lines.set(Number(index), {
      status: status as CheckStatus,
      ms: Number(ms) || 0,
      actual: rest.join(' ').trim(),
    });
  }
  return checks.map((check, index) => {
    const found = lines.get(index);
    return {
      check,
      expected: expectation(check),
      status: found?.status ?? 'error',
      actual: found?.actual ?? 'no result: the check script stopped before this check',
      durationMs: found?.ms ?? 0,
    };
  });
}
