import type { CheckResult } from './results';

const xml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // XML 1.0 has no place for most control characters, whatever a VM printed.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ' ');

/**
 * The results as JUnit XML, which Azure Pipelines shows on the run's Tests tab: one test case per check, named by
 * the check; a failed check is a <failure> and an erroring one an <error>, each saying what was expected and found.
 */
export function junitXml(
  suite: string,
  results: CheckResult[],
  properties: Record<string, string> = {},
): string {
  const failures = results.filter((r) => r.status === 'fail').length;
  const errors = results.filter((r) => r.status === 'error').length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = results.reduce((sum, r) => sum + r.durationMs, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(suite)}" tests="${results.length}" failures="${failures}" errors="${errors}" time="${seconds(total)}">`,
    `  <testsuite name="${xml(suite)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="0" time="${seconds(total)}" timestamp="${new Date().toISOString()}">`,
  ];
  const props = Object.entries(properties);
  if (props.length) {
    lines.push('    <properties>');
    for (const [k, v] of props) lines.push(`      <property name="${xml(k)}" value="${xml(v)}"/>`);
    lines.push('    </properties>');
  }
  for (const r of results) {
    const open = `    <testcase classname="${xml(`${suite}.${r.check.kind}`)}" name="${xml(r.check.name)}" time="${seconds(r.durationMs)}"`;
    if (r.status === 'pass') {
      lines.push(`${open}/>`);
      continue;
    }
    const tag = r.status === 'fail' ? 'failure' : 'error';
    const message = `expected ${r.expected}; found ${r.actual}`;
    lines.push(
      `${open}>`,
      `      <${tag} message="${xml(message)}" type="${tag}">${xml(message)}</${tag}>`,
      '    </testcase>',
    );
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
