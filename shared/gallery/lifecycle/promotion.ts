import type { GalleryImageVersionUpdate } from '@azure/arm-compute';
import { computeClient, lroOptions } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { InputError } from '../../validation/inputError';
import type { GalleryVersionRef } from '../version/ref';
import { regionKey } from '../../azure/regions';

export interface PromotionResult {
  versionId: string;
  /** Regions whose latest-eligibility changed; empty when nothing had to change. */
  changed: string[];
  regions: { region: string; excludeFromLatest: boolean }[];
}

/**
 * Promote (include in `latest`) or demote (exclude from it, which rolls consumers back to the previous version).
 * With regions, only those target regions change; without, the version-wide flag and every region do.
 */
export async function setLatestEligibility(
  ctx: AzureContext,
  ref: GalleryVersionRef,
  options: { promote: boolean; regions: string[] },
): Promise<PromotionResult> {
  const client = computeClient(ctx);
  const version = await client.galleryImageVersions
    .get(ref.resourceGroup, ref.gallery, ref.image, ref.version, { abortSignal: ctx.abortSignal })
    .catch((e: unknown) => {
      if ((e as { statusCode?: number }).statusCode === 404) {
        throw new InputError(
          'version',
          `version ${ref.version} of '${ref.image}' in gallery '${ref.gallery}' does not exist`,
        );
      }
      throw e;
    });
  const exclude = !options.promote;
  const targets = version.publishingProfile?.targetRegions ?? [];
  const unknown = options.regions.filter((r) => !targets.some((t) => regionKey(t.name) === regionKey(r)));
  if (unknown.length) {
    throw new InputError(
      'regions',
      `version ${ref.version} is not replicated to ${unknown.join(', ')} (its regions: ${targets.map((t) => regionKey(t.name)).join(', ')})`,
    );
  }
  const chosen = (name: string) =>
    options.regions.length === 0 || options.regions.some((r) => regionKey(r) === regionKey(name));
  const changed = targets
    .filter((t) => chosen(t.name) && (t.excludeFromLatest ?? false) !== exclude)
    .map((t) => regionKey(t.name));
  const globalChange =
    options.regions.length === 0 && (version.publishingProfile?.excludeFromLatest ?? false) !== exclude;
  const regions = targets.map((t) => ({
    region: regionKey(t.name),
    excludeFromLatest: chosen(t.name) ? exclude : (t.excludeFromLatest ?? false),
  }));
  if (changed.length === 0 && !globalChange) return { versionId: version.id!, changed: [], regions };
  const update: GalleryImageVersionUpdate = {
    // The update model requires storageProfile; empty keeps the version's source (Microsoft's
    // GalleryImageVersion_Update_WithoutSourceId example sends exactly this).
    storageProfile: {},
    publishingProfile: {
      targetRegions: targets.map((t) => ({
        ...t,
        excludeFromLatest: chosen(t.name) ? exclude : t.excludeFromLatest,
      })),
      ...(options.regions.length === 0 ? { excludeFromLatest: exclude } : {}),
    },
  };
  await client.galleryImageVersions.update(
    ref.resourceGroup,
    ref.gallery,
    ref.image,
    ref.version,
    update,
    lroOptions(ctx),
  );
  return {
    versionId: version.id!,
    changed: globalChange && changed.length === 0 ? ['(version-wide)'] : changed,
    regions,
  };
}
