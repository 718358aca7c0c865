import { code, markdownEscape, markdownTable } from '../../shared/pipeline/markdown';
import type { SmokeTestResult } from '../../shared/smoke/smokeTest';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The smoke test at a glance: the verdict, each check, the VM it ran on, and what was left or removed. */
export function smokeSummaryMarkdown(result: SmokeTestResult): string {
  const failed = result.results.filter((r) => r.status !== 'pass');
  const lines = [
    `## SmokeTestImage: ${result.passed ? 'passed' : '**failed**'}`,
    '',
    markdownTable(
      ['', 'value'],
      [
        ['image', code(result.image.id)],
        [
          'VM',
          `${code(result.vmName)}, ${result.vmSize}, ${result.location}, ${result.image.osType} ${result.image.hyperVGeneration}`,
        ],
        [
          'boot until agent ready',
          result.agentReady ? seconds(result.bootMs) : `not ready after ${seconds(result.bootMs)}`,
        ],
        [
          'checks',
          result.run
            ? `${result.results.length - failed.length} of ${result.results.length} passed in ${seconds(result.checksMs)}`
            : 'not run',
        ],
        ...(result.baselineVersion ? [['baseline', code(result.baselineVersion)]] : []),
      ],
    ),
    '',
  ];
  if (result.results.length) {
    lines.push(
      markdownTable(
        ['check', 'result', 'expected', 'found', 'time'],
        result.results.map((r) => [
          markdownEscape(r.check.name),
          r.status === 'pass' ? 'pass' : `**${r.status}**`,
          markdownEscape(r.expected),
          markdownEscape(r.actual),
          seconds(r.durationMs),
        ]),
      ),
      '',
    );
  }
  for (const p of result.problems) lines.push(`- ${markdownEscape(p)}`);
  if (result.serialLog)
    lines.push(
      '',
      'Serial log (boot diagnostics), last lines:',
      '',
      '```',
      result.serialLog.replace(/```/g, "'''"),
      '```',
    );
  if (result.kept.length) {
    lines.push('', '**Kept for debugging (keepVmOnFailure) — delete when done:**', '');
    for (const k of result.kept) lines.push(`- ${markdownEscape(k)}`);
  } else if (result.removed.length) {
    lines.push('', `Removed after the test: ${result.removed.map(markdownEscape).join('; ')}.`);
  }
  lines.push('');
  return lines.join('\n');
}
