import { describeSource, type SourceImage } from '../../shared/builders/sourceImage';
import type { ImageBuildResult } from '../../shared/builders/imageBuilder/collect';
import type { SubmittedBuild } from '../../shared/builders/imageBuilder/submit';
import { code, markdownEscape, markdownTable } from '../../shared/pipeline/markdown';

export interface BuildSummary {
  builder: 'ImageBuilder' | 'Packer';
  mode: string;
  source?: SourceImage;
  submitted?: SubmittedBuild;
  result?: ImageBuildResult;
  /** Packer's own run: steps, artifacts, duration. */
  packer?: {
    steps: string[];
    baselineVersion?: string;
    artifacts: { name: string; value: string }[];
    seconds: number;
    exitCode: number;
    logTail?: string[];
  };
}

/** The build at a glance: builder, source, steps, baseline, result and artifacts, and the log's tail on failure. */
export function buildSummaryMarkdown(s: BuildSummary): string {
  const state = s.packer
    ? s.packer.exitCode === 0
      ? 'Succeeded'
      : 'Failed'
    : (s.result?.runState ?? (s.mode === 'submit' ? 'Submitted' : 'Unknown'));
  const ok = state === 'Succeeded' || state === 'Submitted';
  const rows: string[][] = [
    ['builder', s.builder === 'ImageBuilder' ? 'Azure VM Image Builder' : 'HashiCorp Packer'],
    ...((s.submitted?.source ?? s.result?.source)
      ? [['source', code((s.submitted?.source ?? s.result?.source)!)]]
      : s.source && (s.source.kind !== 'platform' || s.source.publisher)
        ? [['source', code(describeSource(s.source))]]
        : []),
  ];
  if (s.result?.sourceVersion) rows.push(['source version', code(s.result.sourceVersion)]);
  const steps = s.submitted?.steps ?? s.packer?.steps;
  if (steps) rows.push(['steps', steps.length ? steps.map((n) => code(n)).join(', ') : 'none']);
  const baseline = s.submitted?.baselineVersion ?? s.packer?.baselineVersion;
  rows.push(['baseline', baseline ? code(baseline) : 'not applied']);
  if (s.result?.templateId ?? s.submitted?.templateId)
    rows.push(['image template', code((s.result?.templateId ?? s.submitted?.templateId)!)]);
  if (s.result?.startTime && s.result.endTime)
    rows.push([
      'duration',
      `${Math.round((s.result.endTime.getTime() - s.result.startTime.getTime()) / 1000)} s`,
    ]);
  if (s.packer) rows.push(['duration', `${Math.round(s.packer.seconds)} s`]);
  for (const a of s.result?.artifacts ?? [])
    rows.push([markdownEscape(a.runOutputName), code(a.artifactId ?? a.artifactUri ?? '')]);
  for (const a of s.packer?.artifacts ?? []) rows.push([markdownEscape(a.name), code(a.value)]);
  if (s.result?.logUrl) rows.push(['build log', code(s.result.logUrl)]);
  const lines = [`## BuildImage: ${ok ? state : `**${state}**`}`, '', markdownTable(['', 'value'], rows), ''];
  if (s.mode === 'submit')
    lines.push(
      'The build runs on; a BuildImage step with `mode: collect` and this `templateId` waits for it.',
      '',
    );
  if (s.result?.message && !ok) lines.push(`> ${markdownEscape(s.result.message)}`, '');
  const tail = s.result?.logTail ?? s.packer?.logTail;
  if (tail?.length && !ok)
    lines.push(
      '### Last lines of the build log',
      '',
      '```',
      ...tail.map((l) => l.replace(/```/g, "'''")),
      '```',
      '',
    );
  return lines.join('\n');
}
