import { isRestError } from '@azure/core-rest-pipeline';
import { computeClient } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { parseResourceId, type ResourceId } from '../azure/resourceId';
import { InputError } from '../validation/inputError';

/**
 * A build's gallery target: an image definition (the next version is chosen) or an exact version under one. The
 * definition must exist — a build that finds out only when it distributes has wasted its hours — and it is not
 * made here: its publisher, offer, SKU and features are ShareToGallery's (ensureDefinition).
 */
export async function galleryTarget(
  ctx: AzureContext,
  galleryImageId: string,
  input = 'targetImageVersionId',
): Promise<{ id: ResourceId; version?: string }> {
  const id = parseResourceId(galleryImageId, { input });
  const type = id.types.join('/').toLowerCase();
  if (
    id.provider?.toLowerCase() !== 'microsoft.compute' ||
    (type !== 'galleries/images' && type !== 'galleries/images/versions')
  )
    throw new InputError(
      input,
      'expected a gallery image definition or version id (…/galleries/{gallery}/images/{definition}[/versions/{x.y.z}])',
    );
  try {
    await computeClient(ctx, id.subscriptionId).galleryImages.get(
      id.resourceGroup!,
      id.names[0],
      id.names[1],
      {
        abortSignal: ctx.abortSignal,
      },
    );
  } catch (e) {
    if (isRestError(e) && e.statusCode === 404)
      throw new InputError(
        input,
        `the image definition '${id.names[1]}' in gallery '${id.names[0]}' does not exist: create it first (ShareToGallery's ensureDefinition), so the build does not fail only when it distributes`,
      );
    throw e;
  }
  return { id, version: id.names[2] };
}
