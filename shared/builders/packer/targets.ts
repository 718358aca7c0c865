import { computeClient } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { parseResourceId } from '../../azure/resourceId';
import { listVersionsNewestFirst } from '../../gallery/version/list';
import { formatVersion, nextPatch } from '../../gallery/version/number';
import { InputError } from '../../validation/inputError';

/**
 * The version packer makes in a gallery (it needs an exact one): the version the id names, or the next patch
 * after the definition's highest. The definition must exist: packer would fail on it only after the whole build.
 */
export async function nextGalleryVersion(
  ctx: AzureContext,
  galleryImageId?: string,
): Promise<string | undefined> {
  if (!galleryImageId) return undefined;
  const id = parseResourceId(galleryImageId, { input: 'targetImageVersionId' });
  const type = id.types.join('/').toLowerCase();
  if (type !== 'galleries/images' && type !== 'galleries/images/versions')
    throw new InputError(
      'targetImageVersionId',
      'expected a gallery image definition or version id (…/galleries/{gallery}/images/{definition}[/versions/{x.y.z}])',
    );
  if (id.names[2]) return id.names[2];
  const scoped = { ...ctx, subscriptionId: id.subscriptionId };
  await computeClient(scoped)
    .galleryImages.get(id.resourceGroup!, id.names[0], id.names[1], { abortSignal: ctx.abortSignal })
    .catch((e: unknown) => {
      throw (e as { statusCode?: number }).statusCode === 404
        ? new InputError(
            'targetImageVersionId',
            `the image definition '${id.names[1]}' in gallery '${id.names[0]}' does not exist: create it first (ShareToGallery creates definitions)`,
          )
        : e;
    });
  const versions = await listVersionsNewestFirst(scoped, {
    resourceGroup: id.resourceGroup!,
    gallery: id.names[0],
    image: id.names[1],
  });
  return formatVersion(nextPatch(versions.map((v) => v.name ?? '')));
}
