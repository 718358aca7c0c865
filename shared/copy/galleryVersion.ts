import type { GalleryImage, GalleryImageVersion } from '@azure/arm-compute';
import { isRestError } from '@azure/core-rest-pipeline';
import { getIfExists } from '../azure/armLookup';
import { computeClient } from '../azure/clients';
import type { CleanupStack } from '../azure/cleanup';
import type { AzureContext } from '../azure/context';
import { normalizeRegion, regionKey } from '../azure/regions';
import { expectResourceType, formatResourceId, sameResourceId, type ResourceId } from '../azure/resourceId';
import { validateGalleryName, validateImageDefinitionName } from '../gallery/definition/names';
import { DEFINITION_INPUTS } from '../gallery/definition/spec';
import { specOf } from '../gallery/definition/specOf';
import { formatVersion, parseVersion } from '../gallery/version/number';
import { publishVersion, type PublishVersionResult } from '../gallery/version/publish';
import { InputError } from '../validation/inputError';
import { forEachTarget, type CopyDestination, type TargetOutcome } from './targets';

export interface GalleryCopyRequest {
  /** A gallery image version, in any subscription (or tenant) the source connection can read. */
  source: ResourceId;
  /** Target subscriptions (empty: the target connection's). */
  subscriptionIds: string[];
  resourceGroup: string;
  gallery: string;
  /** Empty: the source definition's name. */
  imageDefinition?: string;
  /** Empty: the source version's number. */
  version?: string;
  /** Regions the copy is replicated to besides the target gallery's own. */
  regions: string[];
  overwrite: boolean;
  maxParallel: number;
  /** How long to wait for the copies to replicate. */
  timeoutMs: number;
}

export interface GalleryCopySource {
  id: string;
  definition: GalleryImage;
  version: GalleryImageVersion;
  /** Regions the source version has replicas in: a copy can be made only in one of them. */
  replicatedRegions: string[];
}

/** The copy request, checked once without Azure. */
export function galleryCopyRequest(request: GalleryCopyRequest): GalleryCopyRequest {
  expectResourceType(
    'sourceImageId',
    request.source,
    ['Microsoft.Compute/galleries/images/versions'],
    'a gallery image version (for a managed image or snapshot choose copyType image)',
  );
  validateGalleryName('targetGalleryName', request.gallery);
  if (request.imageDefinition) validateImageDefinitionName('targetImageDefinition', request.imageDefinition);
  const version = request.version ? formatVersion(parseVersion('targetVersion', request.version)) : undefined;
  return {
    ...request,
    version,
    regions: request.regions.map((r) => normalizeRegion('targetLocation', r)),
  };
}

async function readSource(ctx: AzureContext, source: ResourceId): Promise<GalleryCopySource> {
  const client = computeClient(ctx, source.subscriptionId);
  const [gallery, image, version] = source.names;
  const opts = { abortSignal: ctx.abortSignal };
  try {
    const v = await client.galleryImageVersions.get(source.resourceGroup!, gallery, image, version, opts);
    const definition = await client.galleryImages.get(source.resourceGroup!, gallery, image, opts);
    return {
      id: v.id ?? formatResourceId(source),
      definition,
      version: v,
      replicatedRegions: (v.publishingProfile?.targetRegions ?? []).map((r) => regionKey(r.name)),
    };
  } catch (e) {
    if (isRestError(e) && e.statusCode === 404) {
      throw new InputError(
        'sourceImageId',
        `${formatResourceId(source)} does not exist, or the service connection cannot read it (${e.code ?? 'NotFound'})`,
      );
    }
    throw e;
  }
}

/** Definition errors name the definition inputs of ShareToGallery; here the definition comes from the source. */
function asCopyError(e: unknown, definition: string): unknown {
  if (e instanceof InputError && Object.values(DEFINITION_INPUTS).includes(e.input)) {
    return new InputError(
      'targetImageDefinition',
      `${e.message.replace(/^Input '\w+': /, '')} (the target definition '${definition}' must match the source definition; choose another target definition name)`,
    );
  }
  return e;
}

/**
 * Gallery image version → a version in other galleries (other subscriptions, or another tenant through
 * `targetCtx`): the target definition is made like the source's (or compared with it), and the version is
 * published from the source version by ShareToGallery's `publishVersion`, replication awaited. Azure copies a
 * version only inside a region, so the source must have a replica in each target gallery's region; when it has
 * not, the error says how to get one there. A re-run finds the versions it made and changes nothing.
 */
export async function copyGalleryVersion(
  sourceCtx: AzureContext,
  targetCtx: AzureContext,
  request: GalleryCopyRequest,
  hooks: { cleanup?: CleanupStack; onProgress?: (target: number, percent: number) => void } = {},
): Promise<{ source: GalleryCopySource; outcomes: TargetOutcome<PublishVersionResult>[] }> {
  const source = await readSource(sourceCtx, request.source);
  const definitionName = request.imageDefinition || source.definition.name!;
  const versionName = request.version ?? source.version.name!;
  const subscriptions = request.subscriptionIds.length ? request.subscriptionIds : [targetCtx.subscriptionId];
  // Every target's gallery region is found (and checked against the source's replicas) before anything is written.
  const targets: CopyDestination[] = [];
  for (const subscriptionId of subscriptions) {
    const gallery = await getIfExists(
      () =>
        computeClient(targetCtx, subscriptionId).galleries.get(request.resourceGroup, request.gallery, {
          abortSignal: targetCtx.abortSignal,
        }),
      'targetResourceGroupName',
      request.resourceGroup,
    ).catch((e: unknown) => {
      if (isRestError(e) && e.code === 'InvalidAuthenticationTokenTenant') {
        throw new InputError(
          'targetConnectedServiceName',
          `subscription ${subscriptionId} belongs to another tenant than the service connection's; add a service connection of that tenant (the same app registration, consented there) as the target tenant connection`,
        );
      }
      throw e;
    });
    const location = gallery
      ? regionKey(gallery.location)
      : (request.regions[0] ?? regionKey(source.version.location));
    if (!source.replicatedRegions.includes(location)) {
      throw new InputError(
        gallery ? 'targetGalleryName' : 'targetLocation',
        `the source version has replicas in ${source.replicatedRegions.join(', ')}, but the target gallery ${gallery ? 'is' : 'would be'} in ${location}; Azure copies a version only inside a region. Add ${location} to the source version's target regions (ShareToGallery publish with that region, or az sig image-version update --add publishingProfile.targetRegions name=${location}) and run again${gallery ? '' : `, or put the new gallery in one of ${source.replicatedRegions.join(', ')} (targetLocation)`}`,
      );
    }
    const target = {
      subscriptionId,
      resourceGroup: request.resourceGroup,
      location,
      name: `${request.gallery}/${definitionName}/${versionName}`,
    };
    if (
      sameResourceId(
        formatResourceId({
          subscriptionId,
          resourceGroup: request.resourceGroup,
          provider: 'Microsoft.Compute',
          types: ['galleries', 'images', 'versions'],
          names: [request.gallery, definitionName, versionName],
        }),
        source.id,
      )
    ) {
      throw new InputError(
        'targetGalleryName',
        'the target is the source version itself; give another gallery, definition, version or subscription',
      );
    }
    targets.push(target);
  }
  const spec = { ...specOf(source.definition), tags: undefined };
  const outcomes = await forEachTarget(
    targets,
    request.maxParallel,
    targetCtx.abortSignal,
    async (target, index) => {
      const ctx = { ...targetCtx, subscriptionId: target.subscriptionId };
      const result = await publishVersion(
        ctx,
        {
          definition: {
            resourceGroup: target.resourceGroup,
            location: target.location,
            gallery: request.gallery,
            imageDefinition: definitionName,
            spec,
          },
          source: source.id,
          version: { strategy: 'explicit', version: versionName },
          targetRegions: request.regions.map((name) => ({ name })),
          replicaCount: 1,
          storageAccountType: 'Standard_LRS',
          excludeFromLatest: false,
          replicationMode: 'Full',
          blockDeletionBeforeEndOfLife: false,
          overwrite: request.overwrite,
          wait: {
            regions: [],
            timeoutMs: request.timeoutMs,
            onProgress: (p) => hooks.onProgress?.(index, p),
          },
        },
        { sourceCtx, cleanup: hooks.cleanup },
      ).catch((e: unknown) => {
        throw asCopyError(e, definitionName);
      });
      hooks.onProgress?.(index, 100);
      return {
        status:
          result.action === 'unchanged' ? 'unchanged' : result.action === 'replaced' ? 'replaced' : 'copied',
        result,
      };
    },
  );
  return { source, outcomes };
}
