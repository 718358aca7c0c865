import { code, markdownEscape, markdownTable } from '../../shared/pipeline/markdown';
import type { PromotionResult } from '../../shared/gallery/lifecycle/promotion';
import type { PublishVersionResult } from '../../shared/gallery/version/publish';
import type { RegionReplication, VersionReplication } from '../../shared/gallery/version/replication';
import type {
  GalleryDefinitionOptions,
  GalleryDefinitionResult,
} from '../../shared/gallery/definition/galleryAndDefinition';
import type { EnsureResult } from '../../shared/gallery/definition/ensureResult';
import type { ResolvedVersion } from '../../shared/gallery/lifecycle/resolveLatest';
import type { RetentionOutcome } from '../../shared/gallery/lifecycle/retention';
import type { SharingResult } from '../../shared/gallery/sharing/shareGallery';

export function publishSummary(gallery: string, image: string, r: PublishVersionResult): string {
  return [
    `## Image version ${markdownEscape(r.version)} of ${markdownEscape(gallery)} / ${markdownEscape(image)}`,
    '',
    `**${r.action}** ${code(r.versionId)} from ${r.source.kind} ${code(r.source.ref)}; replication ${r.aggregatedState}.`,
    `Definition ${r.definition.definition.action}, gallery ${r.definition.gallery.action}.`,
    '',
    replicationTable(r.regions),
    '',
  ].join('\n');
}

export function waitSummary(version: string, state: VersionReplication): string {
  return [
    `## Replication of image version ${markdownEscape(version)}`,
    '',
    `Aggregated state: ${state.aggregatedState}.`,
    '',
    replicationTable(state.regions),
    '',
  ].join('\n');
}

export function resolveSummary(
  image: string,
  region: string | undefined,
  r: ResolvedVersion | undefined,
): string {
  const head = `## Latest version of ${markdownEscape(image)}${region ? ` in ${markdownEscape(region)}` : ''}`;
  if (!r) return `${head}\n\nNo version qualifies.\n`;
  const skipped = r.skipped.length
    ? `\n\nPassed over (newer first):\n\n${markdownTable(
        ['version', 'why'],
        r.skipped.map((s) => [s.version, markdownEscape(s.why)]),
      )}`
    : '';
  return `${head}\n\n**${markdownEscape(r.version)}**: ${code(r.id)}${skipped}\n`;
}

export function promotionSummary(version: string, promote: boolean, r: PromotionResult): string {
  return [
    `## ${promote ? 'Promoted' : 'Demoted'} image version ${markdownEscape(version)}`,
    '',
    r.changed.length ? `Changed: ${r.changed.map(code).join(', ')}.` : 'Nothing to change: already so.',
    '',
    markdownTable(
      ['region', 'in latest'],
      r.regions.map((x) => [code(x.region), x.excludeFromLatest ? 'no' : 'yes']),
    ),
    '',
  ].join('\n');
}

export function retentionSummary(image: string, dryRun: boolean, outcomes: RetentionOutcome[]): string {
  return [
    `## Retention of ${markdownEscape(image)}${dryRun ? ' (dry run: nothing changed)' : ''}`,
    '',
    markdownTable(
      ['version', 'action', 'result', 'detail'],
      outcomes.map((o) => [o.version, o.action, o.result, markdownEscape(o.detail)]),
    ),
    '',
  ].join('\n');
}

export function sharingSummary(r: SharingResult): string {
  const lines = [`## Sharing of ${code(r.galleryId)}`, ''];
  if (r.grants.length)
    lines.push(
      markdownTable(
        ['principal', 'type', 'role', 'action'],
        r.grants.map((g) => [code(g.principal), g.type, markdownEscape(g.role), g.action]),
      ),
      '',
    );
  if (r.directShare.added.length || r.directShare.alreadyShared.length) {
    lines.push(
      `Shared directly with ${r.directShare.added.map(code).join(', ') || 'no new subscription or tenant'}${r.directShare.alreadyShared.length ? `; already shared with ${r.directShare.alreadyShared.map(code).join(', ')}` : ''}.`,
      '',
    );
  }
  if (r.community) lines.push(`Community gallery: ${r.community.publicNames.map(code).join(', ')}.`, '');
  return lines.join('\n');
}

/** The per-region table printed to the log and the summary. */
export function replicationTable(regions: RegionReplication[]): string {
  return markdownTable(
    ['region', 'state', 'progress', 'replicas', 'in latest', 'details'],
    regions.map((r) => [
      code(r.region),
      r.state,
      `${r.progress}%`,
      String(r.replicas ?? ''),
      r.excludeFromLatest ? 'no' : 'yes',
      markdownEscape(r.details ?? ''),
    ]),
  );
}

export function galleryDefinitionSummary(
  options: GalleryDefinitionOptions,
  result: GalleryDefinitionResult,
): string {
  const s = options.spec;
  const row = (what: string, r: EnsureResult) => [
    what,
    r.action,
    code(r.id),
    markdownEscape(r.changes.join('; ') || '-'),
  ];
  return [
    `## Azure Compute Gallery: ${markdownEscape(options.gallery)} / ${markdownEscape(options.imageDefinition)}`,
    '',
    markdownTable(
      ['resource', 'action', 'id', 'changes'],
      [row('gallery', result.gallery), row('image definition', result.definition)],
    ),
    '',
    `Definition: ${s.osType}, ${s.osState}, Hyper-V ${s.hyperVGeneration}, ${s.architecture}, security type ${s.securityType}, ` +
      `identifier ${markdownEscape(`${s.publisher}/${s.offer}/${s.sku}`)}.`,
    '',
  ].join('\n');
}
