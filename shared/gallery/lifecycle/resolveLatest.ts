import type { GalleryImageVersion } from '@azure/arm-compute';
import type { AzureContext } from '../../azure/context';
import { listVersionsNewestFirst } from '../version/list';
import type { DefinitionRef } from '../version/ref';
import { readReplication } from '../version/replication';
import { regionKey } from '../../azure/regions';

export interface ResolveOptions {
  /** Only versions replicated (Completed) to this region, and not excluded from latest there. */
  region?: string;
  /** Leave out versions whose end of life has passed (Azure itself still serves them as latest). */
  skipEndOfLife: boolean;
  now?: Date;
}

export interface ResolvedVersion {
  version: string;
  id: string;
  /** Why each newer version was passed over, for the log and the summary. */
  skipped: { version: string; why: string }[];
}

/**
 * The version a VM gets when it asks for `latest`: the highest version number (numerically) that is not excluded
 * from latest, globally or in the region asked about, and has finished provisioning; optionally also replicated to
 * that region and not past its end of life.
 */
export async function resolveLatestVersion(
  ctx: AzureContext,
  ref: DefinitionRef,
  options: ResolveOptions,
): Promise<ResolvedVersion | undefined> {
  const now = options.now ?? new Date();
  const skipped: ResolvedVersion['skipped'] = [];
  for (const v of await listVersionsNewestFirst(ctx, ref)) {
    const why = await reasonToSkip(ctx, ref, v, options, now);
    if (!why) return { version: v.name!, id: v.id!, skipped };
    skipped.push({ version: v.name!, why });
  }
  return undefined;
}

async function reasonToSkip(
  ctx: AzureContext,
  ref: DefinitionRef,
  v: GalleryImageVersion,
  options: ResolveOptions,
  now: Date,
): Promise<string | undefined> {
  const profile = v.publishingProfile;
  if (profile?.excludeFromLatest) return 'excluded from latest';
  if (v.provisioningState !== 'Succeeded') return `provisioning state ${v.provisioningState}`;
  if (options.skipEndOfLife && profile?.endOfLifeDate && profile.endOfLifeDate.getTime() <= now.getTime()) {
    return `past its end of life (${profile.endOfLifeDate.toISOString().slice(0, 10)})`;
  }
  if (!options.region) return undefined;
  const target = profile?.targetRegions?.find((t) => regionKey(t.name) === regionKey(options.region!));
  if (!target) return `not replicated to ${options.region}`;
  if (target.excludeFromLatest) return `excluded from latest in ${options.region}`;
  const replication = await readReplication(ctx, { ...ref, version: v.name! });
  const state = replication.regions.find((r) => r.region === regionKey(options.region!))?.state ?? 'Unknown';
  return state === 'Completed' ? undefined : `replication to ${options.region} is ${state}`;
}
