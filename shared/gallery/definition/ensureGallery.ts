import type { Gallery } from '@azure/arm-compute';
import { computeClient, lroOptions } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { getIfExists, rethrowResourceGroup } from '../../azure/armLookup';
import type { EnsureResult } from './ensureResult';

export interface GalleryRequest {
  resourceGroup: string;
  name: string;
  location: string;
  description?: string;
  tags?: Record<string, string>;
}

/** Creates the gallery if missing, updates description and tags if asked, and otherwise changes nothing. */
export async function ensureGallery(ctx: AzureContext, request: GalleryRequest): Promise<EnsureResult> {
  const client = computeClient(ctx);
  const existing = await getIfExists(
    () => client.galleries.get(request.resourceGroup, request.name, { abortSignal: ctx.abortSignal }),
    'resourceGroupName',
    request.resourceGroup,
  );
  const changes: string[] = [];
  if (existing) {
    if (request.description !== undefined && request.description !== (existing.description ?? '')) {
      changes.push(`description: '${existing.description ?? ''}' -> '${request.description}'`);
    }
    for (const [key, value] of Object.entries(request.tags ?? {})) {
      if (existing.tags?.[key] !== value)
        changes.push(`tag ${key}: ${existing.tags?.[key] ?? '(none)'} -> ${value}`);
    }
    if (changes.length === 0) return { id: existing.id!, action: 'unchanged', changes };
  }
  const body: Gallery = {
    location: existing?.location ?? request.location,
    description: request.description ?? existing?.description,
    tags: { ...(existing?.tags ?? {}), ...(request.tags ?? {}) },
  };
  const result = await client.galleries
    .createOrUpdate(request.resourceGroup, request.name, body, lroOptions(ctx))
    .catch((e: unknown) => rethrowResourceGroup(e, 'resourceGroupName', request.resourceGroup));
  return {
    id: result.id!,
    action: existing ? 'updated' : 'created',
    changes: existing ? changes : [`created in ${request.location}`],
  };
}
