import type { AzureContext } from '../../azure/context';
import { listVersionsNewestFirst } from '../../gallery/version/list';
import { formatVersion, nextPatch } from '../../gallery/version/number';
import { galleryTarget } from '../galleryTarget';

/** The version packer makes in a gallery (it needs an exact one): the one the id names, or the next patch. */
export async function nextGalleryVersion(
  ctx: AzureContext,
  galleryImageId?: string,
): Promise<string | undefined> {
  if (!galleryImageId) return undefined;
  const { id, version } = await galleryTarget(ctx, galleryImageId);
  if (version) return version;
  const versions = await listVersionsNewestFirst(
    { ...ctx, subscriptionId: id.subscriptionId },
    { resourceGroup: id.resourceGroup!, gallery: id.names[0], image: id.names[1] },
  );
  return formatVersion(nextPatch(versions.map((v) => v.name ?? '')));
}
