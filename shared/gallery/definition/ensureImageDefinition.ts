import type { GalleryImage } from '@azure/arm-compute';
import { computeClient, lroOptions } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { InputError } from '../../validation/inputError';
import { getIfExists } from '../../azure/armLookup';
import { diffDefinition, featuresFor } from './diff';
import type { ImageDefinitionSpec } from './spec';
import type { EnsureResult } from './ensureResult';

export interface ImageDefinitionRequest {
  resourceGroup: string;
  gallery: string;
  name: string;
  location: string;
  spec: ImageDefinitionSpec;
}

function bodyFor(request: ImageDefinitionRequest, existing?: GalleryImage): GalleryImage {
  const { spec } = request;
  const requestedFeatures = featuresFor(spec);
  // Keep features Azure holds that the request does not mention (they cannot all be removed).
  const kept = (existing?.features ?? []).filter((f) => !requestedFeatures.some((r) => r.name === f.name));
  return {
    location: existing?.location ?? request.location,
    tags: { ...(existing?.tags ?? {}), ...(spec.tags ?? {}) },
    description: spec.description ?? existing?.description,
    osType: spec.osType,
    osState: spec.osState,
    hyperVGeneration: spec.hyperVGeneration,
    architecture: spec.architecture,
    identifier: { publisher: spec.publisher, offer: spec.offer, sku: spec.sku },
    endOfLifeDate: spec.endOfLifeDate ?? existing?.endOfLifeDate,
    features: [...kept, ...requestedFeatures],
    recommended: existing?.recommended,
    eula: existing?.eula,
  };
}

/**
 * Creates the image definition if missing. If it exists, what Azure cannot change must match (else an
 * InputError naming the input and saying a new definition is needed); what can change is updated; a re-run
 * with the same inputs changes nothing.
 */
export async function ensureImageDefinition(
  ctx: AzureContext,
  request: ImageDefinitionRequest,
  known?: { existing: GalleryImage | undefined },
): Promise<EnsureResult> {
  const client = computeClient(ctx);
  const existing = known
    ? known.existing
    : await getIfExists(
        () =>
          client.galleryImages.get(request.resourceGroup, request.gallery, request.name, {
            abortSignal: ctx.abortSignal,
          }),
        'resourceGroupName',
        request.resourceGroup,
      );
  if (existing) {
    const diff = diffDefinition(existing, request.spec);
    if (diff.immutableMismatches.length > 0) {
      const m = diff.immutableMismatches[0];
      const others = diff.immutableMismatches
        .slice(1)
        .map((x) => `${x.property} (${x.existing} vs ${x.requested})`);
      throw new InputError(
        m.input,
        `image definition '${request.name}' exists with ${m.property} '${m.existing}' but '${m.requested}' was asked; Azure cannot change ${m.property} of a definition: use a new definition name or match the existing one${others.length ? `. Also different: ${others.join(', ')}` : ''}`,
      );
    }
    if (diff.changes.length === 0) return { id: existing.id!, action: 'unchanged', changes: [] };
    const updated = await client.galleryImages.createOrUpdate(
      request.resourceGroup,
      request.gallery,
      request.name,
      bodyFor(request, existing),
      lroOptions(ctx),
    );
    return { id: updated.id!, action: 'updated', changes: diff.changes };
  }
  const created = await client.galleryImages.createOrUpdate(
    request.resourceGroup,
    request.gallery,
    request.name,
    bodyFor(request),
    lroOptions(ctx),
  );
  return {
    id: created.id!,
    action: 'created',
    changes: [
      `created ${request.spec.osType} ${request.spec.hyperVGeneration} ${request.spec.architecture} ${request.spec.securityType}`,
    ],
  };
}
