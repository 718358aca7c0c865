import type { VhdBlobCopyResult } from '../../shared/blobs/serverCopy';
import type { ImageCopyResult } from '../../shared/copy/managedImage';
import type { PublishVersionResult } from '../../shared/gallery/version/publish';
import type { SourceImage } from '../../shared/copy/imageSource';
import type { TargetOutcome } from '../../shared/copy/targets';
import { code, markdownEscape, markdownTable } from '../../shared/pipeline/markdown';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One row per target: where, what happened, what Azure copied, how long, what was cleaned up. */
export function imageCopySummaryMarkdown(
  source: SourceImage,
  outcomes: TargetOutcome<ImageCopyResult>[],
): string {
  const ok = outcomes.filter((o) => o.status !== 'failed').length;
  return [
    '## CopyImage: managed image',
    '',
    `Source ${code(source.id)}: ${source.osType}, ${source.osState}, Hyper-V ${source.hyperVGeneration}, ${source.disks.length - 1} data disk(s), ${source.location}. ${ok} of ${outcomes.length} target(s) done.`,
    '',
    markdownTable(
      ['target', 'outcome', 'what Azure copied', 'time', 'cleanup'],
      outcomes.map((o) => [
        `${code(`${o.target.resourceGroup}/${o.target.name}`)} ${o.target.location}, subscription ${code(o.target.subscriptionId)}`,
        o.status === 'failed' ? `**failed**: ${markdownEscape(o.error ?? '')}` : o.status,
        markdownEscape(
          o.result?.copied.join('; ') || (o.status === 'unchanged' ? 'nothing (copied earlier)' : ''),
        ),
        seconds(o.durationMs),
        o.result ? `${o.result.cleanedUp.length} temporary resource(s) removed` : 'see the log',
      ]),
    ),
    '',
  ].join('\n');
}

/** One row per target gallery: the version, what happened, its regions' replication, how long. */
export function galleryCopySummaryMarkdown(
  sourceId: string,
  outcomes: TargetOutcome<PublishVersionResult>[],
  crossTenant: boolean,
): string {
  return [
    '## CopyImage: gallery image version',
    '',
    `Source ${code(sourceId)}${crossTenant ? ', copied into another tenant (auxiliary token)' : ''}.`,
    '',
    markdownTable(
      ['target', 'outcome', 'regions', 'time'],
      outcomes.map((o) => [
        `${code(`${o.target.resourceGroup}/${o.target.name}`)} ${o.target.location}, subscription ${code(o.target.subscriptionId)}`,
        o.status === 'failed' ? `**failed**: ${markdownEscape(o.error ?? '')}` : o.status,
        (o.result?.regions ?? []).map((r) => `${r.region}: ${r.state}`).join(', '),
        seconds(o.durationMs),
      ]),
    ),
    '',
  ].join('\n');
}

/** The blob copy at a glance: from, to, size, integrity, and what became of the read grant. */
export function blobCopySummaryMarkdown(sourceUrl: string, result: VhdBlobCopyResult): string {
  const mib = (result.bytes / 1024 / 1024).toFixed(0);
  return [
    '## CopyImage: VHD blob',
    '',
    markdownTable(
      ['', 'value'],
      [
        ['source', code(sourceUrl)],
        ['target', code(result.url)],
        [
          'outcome',
          result.action === 'unchanged'
            ? 'unchanged (copied earlier)'
            : `${result.action} by the storage service`,
        ],
        ['size', `${mib} MiB`],
        [
          'integrity',
          `length${result.contentMd5 ? ` and Content-MD5 ${code(result.contentMd5)}` : ''} match the source`,
        ],
        [
          'read grant',
          result.grant.revoked
            ? `${result.grant.kind} SAS, revoked at the end`
            : `${result.grant.kind} SAS, expires ${result.grant.expiresOn.toISOString()} (cannot be revoked alone)`,
        ],
        ['time', seconds(result.durationMs)],
      ],
    ),
    '',
  ].join('\n');
}
