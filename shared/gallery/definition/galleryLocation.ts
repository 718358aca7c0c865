import { computeClient } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { getIfExists } from '../../azure/armLookup';
import { InputError } from '../../validation/inputError';

/** The gallery's region (where Azure keeps a version's home copy). */
export async function galleryLocation(
  ctx: AzureContext,
  ref: { resourceGroup: string; gallery: string },
): Promise<string> {
  const gallery = await getIfExists(
    () => computeClient(ctx).galleries.get(ref.resourceGroup, ref.gallery, { abortSignal: ctx.abortSignal }),
    'resourceGroupName',
    ref.resourceGroup,
  );
  if (!gallery)
    throw new InputError(
      'galleryName',
      `gallery '${ref.gallery}' does not exist in resource group '${ref.resourceGroup}'`,
    );
  return gallery.location.toLowerCase().replace(/\s/g, '');
}
