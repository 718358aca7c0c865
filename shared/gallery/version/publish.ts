import type { GalleryImageVersion } from '@azure/arm-compute';
import { getIfExists } from '../../azure/armLookup';
import { computeClient, lroOptions } from '../../azure/clients';
import type { CleanupStack } from '../../azure/cleanup';
import type { AzureContext } from '../../azure/context';
import { step } from '../../azure/errors';
import { sameResourceId } from '../../azure/resourceId';
import { InputError } from '../../validation/inputError';
import { listVersionsNewestFirst } from './list';
import { readReplication, waitForReplication, type RegionReplication } from './replication';
import {
  galleryDefinitionRequest,
  reconcileGalleryAndDefinition,
  type GalleryDefinitionOptions,
  type GalleryDefinitionResult,
} from '../definition/galleryAndDefinition';
import { checkSourceAgainstDefinition } from './sourcePreflight';
import {
  checkReplicaCount,
  withHomeRegion,
  type TargetRegionSpec,
  type VersionStorageType,
} from './targetRegions';
import type { GalleryVersionRef } from './ref';
import { formatVersion, nextPatch, parseVersion, versionFromBuildNumber } from './number';
import { resolveVersionSource, type VersionSource } from './source';

export type VersionChoice =
  | { strategy: 'explicit'; version: string }
  | { strategy: 'nextPatch'; majorMinor?: string }
  | { strategy: 'buildNumber'; buildNumber?: string };

export interface PublishVersionOptions {
  definition: GalleryDefinitionOptions;
  /** Resource id of the source, or a VHD blob URL. */
  source: string;
  sourceStorageAccountId?: string;
  version: VersionChoice;
  targetRegions: TargetRegionSpec[];
  replicaCount: number;
  storageAccountType: VersionStorageType;
  excludeFromLatest: boolean;
  endOfLifeDate?: Date;
  replicationMode: 'Full' | 'Shallow';
  blockDeletionBeforeEndOfLife: boolean;
  overwrite: boolean;
  /** Wait for these regions to replicate (empty: all) before returning; undefined: return once accepted. */
  wait?: { regions: string[]; timeoutMs: number; onProgress?: (percent: number) => void };
}

export interface PublishVersionResult {
  definition: GalleryDefinitionResult;
  versionId: string;
  version: string;
  action: 'created' | 'replaced' | 'unchanged';
  source: VersionSource;
  aggregatedState: string;
  regions: RegionReplication[];
}

/**
 * The publish request, checked once: everything checkable without Azure (names, definition, the explicit version,
 * replica counts, end of life). publishVersion trusts what this returns.
 */
export function publishRequest(options: PublishVersionOptions, now = new Date()): PublishVersionOptions {
  galleryDefinitionRequest(options.definition);
  if (!options.source.trim()) {
    throw new InputError(
      'source',
      'is required: give the id of a managed image, disk, snapshot, gallery image version or VM, or a VHD blob URL',
    );
  }
  const version =
    options.version.strategy === 'explicit'
      ? { ...options.version, version: formatVersion(parseVersion('version', options.version.version)) }
      : options.version;
  checkReplicaCount('replicaCount', options.replicaCount);
  if (options.endOfLifeDate && options.endOfLifeDate.getTime() <= now.getTime()) {
    throw new InputError(
      'versionEndOfLifeDate',
      `${options.endOfLifeDate.toISOString()} is in the past; give a future date or leave it empty`,
    );
  }
  return { ...options, version };
}

function sourceOf(v: GalleryImageVersion): string | undefined {
  const s = v.storageProfile;
  return (
    s?.source?.id ?? s?.source?.virtualMachineId ?? s?.osDiskImage?.source?.id ?? s?.osDiskImage?.source?.uri
  );
}

function sameSource(v: GalleryImageVersion, source: VersionSource): boolean {
  const existing = sourceOf(v);
  return (
    !!existing &&
    (source.kind === 'vhd'
      ? existing.toLowerCase() === source.ref.toLowerCase()
      : sameResourceId(existing, source.ref))
  );
}

/**
 * Publishes an image version: pre-flight (source against the definition, regions, version number) before any
 * write, then gallery and definition reconciled, then the version accepted by Azure, and, when asked, replication
 * awaited. A re-run with the same source is a success that changes nothing.
 */
export async function publishVersion(
  ctx: AzureContext,
  options: PublishVersionOptions,
  extras: {
    /** Reads the source where the target's connection cannot (another tenant); default: `ctx`. */
    sourceCtx?: AzureContext;
    /**
     * Given, a version this call makes is deleted again when the run fails or is cancelled before its replication
     * is awaited (a copy leaves nothing half made); ShareToGallery keeps a failed version to show the failure.
     */
    cleanup?: CleanupStack;
  } = {},
): Promise<PublishVersionResult> {
  const sourceCtx = extras.sourceCtx ?? ctx;
  const d = options.definition;
  const client = computeClient(ctx);
  const source = await resolveVersionSource(sourceCtx, options.source, options.sourceStorageAccountId);
  checkSourceAgainstDefinition(source, {
    name: d.imageDefinition,
    osType: d.spec.osType,
    hyperVGeneration: d.spec.hyperVGeneration,
    architecture: d.spec.architecture,
    securityType: d.spec.securityType,
    location: d.location,
  });
  // getIfExists answers undefined for a missing gallery too (ParentResourceNotFound): nothing exists yet.
  const existingDefinition = await getIfExists(
    () =>
      client.galleryImages.get(d.resourceGroup, d.gallery, d.imageDefinition, {
        abortSignal: ctx.abortSignal,
      }),
    'resourceGroupName',
    d.resourceGroup,
  );
  const existingVersions = existingDefinition
    ? await listVersionsNewestFirst(ctx, {
        resourceGroup: d.resourceGroup,
        gallery: d.gallery,
        image: d.imageDefinition,
      })
    : [];
  const byName = new Map(existingVersions.map((v) => [v.name!, v]));
  let version: string;
  switch (options.version.strategy) {
    case 'explicit':
      version = options.version.version;
      break;
    case 'buildNumber':
      version = formatVersion(versionFromBuildNumber(options.version.buildNumber));
      break;
    case 'nextPatch': {
      const mm = options.version.majorMinor?.trim();
      // existingVersions is newest first already.
      const latest = existingVersions.find((v) => !mm || v.name!.startsWith(`${mm}.`));
      // A re-run of the same publish finds its own version on top: that is success, not a new patch.
      version =
        latest && sameSource(latest, source) && latest.provisioningState !== 'Failed'
          ? latest.name!
          : formatVersion(nextPatch(byName.keys(), mm));
    }
  }
  const ref: GalleryVersionRef = {
    resourceGroup: d.resourceGroup,
    gallery: d.gallery,
    image: d.imageDefinition,
    version,
  };
  const existing = byName.get(version);
  let action: PublishVersionResult['action'] = 'created';
  if (existing) {
    const same = sameSource(existing, source);
    if (same && existing.provisioningState !== 'Failed') action = 'unchanged';
    else if (!options.overwrite) {
      throw new InputError(
        'version',
        `version ${version} already exists (source ${sourceOf(existing) ?? 'unknown'}, state ${existing.provisioningState}); ` +
          'choose another version, or set overwrite to replace it',
      );
    } else action = 'replaced';
  }
  const definition = await reconcileGalleryAndDefinition(ctx, d, { existing: existingDefinition });
  if (action === 'replaced') {
    ctx.logger.info(`Deleting version ${version} to replace it (overwrite is set)`);
    await step(
      `deleting version ${version} to replace it`,
      () =>
        client.galleryImageVersions.delete(
          d.resourceGroup,
          d.gallery,
          d.imageDefinition,
          version,
          lroOptions(ctx),
        ),
      ctx.abortSignal,
    );
  }
  let dropUnfinished: (() => void) | undefined;
  if (action !== 'unchanged') {
    const regions = withHomeRegion(options.targetRegions, d.location);
    const body: GalleryImageVersion = {
      location: d.location,
      tags: d.spec.tags,
      publishingProfile: {
        targetRegions: regions.map((r) => ({
          name: r.name,
          regionalReplicaCount: r.replicas ?? options.replicaCount,
          storageAccountType: r.storageAccountType ?? options.storageAccountType,
          excludeFromLatest: r.excludeFromLatest ?? options.excludeFromLatest,
        })),
        replicaCount: options.replicaCount,
        storageAccountType: options.storageAccountType,
        excludeFromLatest: options.excludeFromLatest,
        endOfLifeDate: options.endOfLifeDate,
        replicationMode: options.replicationMode,
      },
      storageProfile: source.storageProfile,
      safetyProfile: {
        // Retention shrinks older versions to one region; Azure refuses that unless this is allowed.
        allowDeletionOfReplicatedLocations: true,
        blockDeletionBeforeEndOfLife: options.blockDeletionBeforeEndOfLife || undefined,
      },
    };
    const poller = client.galleryImageVersions.createOrUpdate(
      d.resourceGroup,
      d.gallery,
      d.imageDefinition,
      version,
      body,
      lroOptions(ctx),
    );
    // Azure has accepted the version once the PUT is answered; replication runs on (for hours, if need be).
    dropUnfinished = extras.cleanup?.defer(`gallery image version ${version} (not finished)`, (signal) =>
      client.galleryImageVersions
        .delete(d.resourceGroup, d.gallery, d.imageDefinition, version, {
          ...lroOptions(ctx),
          abortSignal: signal,
        })
        .then(() => undefined),
    );
    await step(
      `publishing version ${version} of '${d.imageDefinition}'`,
      () => poller.submitted(),
      ctx.abortSignal,
    );
    ctx.logger.info(
      `Version ${version} accepted by Azure; replicating to ${regions.map((r) => r.name).join(', ')}`,
    );
  } else {
    ctx.logger.info(`Version ${version} already exists from the same source: nothing to publish`);
  }
  const state = options.wait
    ? await waitForReplication(ctx, ref, {
        regions: options.wait.regions,
        timeoutMs: options.wait.timeoutMs,
        onProgress: (p) => options.wait?.onProgress?.(p),
      })
    : await readReplication(ctx, ref);
  dropUnfinished?.();
  return {
    definition,
    versionId: state.version.id!,
    version,
    action,
    source,
    aggregatedState: state.aggregatedState,
    regions: state.regions,
  };
}
