import type { GalleryImageVersion } from '@azure/arm-compute';
import { computeClient } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { rethrowResourceGroup } from '../../azure/armLookup';
import { InputError } from '../../validation/inputError';
import type { DefinitionRef } from './ref';
import { compareVersions, tryParseVersion } from './number';

/** Every version of a definition, newest first by number (1.10.0 before 1.9.0); the definition must exist. */
export async function listVersionsNewestFirst(
  ctx: AzureContext,
  ref: DefinitionRef,
): Promise<GalleryImageVersion[]> {
  const versions: GalleryImageVersion[] = [];
  try {
    for await (const v of computeClient(ctx).galleryImageVersions.listByGalleryImage(
      ref.resourceGroup,
      ref.gallery,
      ref.image,
      {
        abortSignal: ctx.abortSignal,
      },
    ))
      versions.push(v);
  } catch (e) {
    if (
      e instanceof Error &&
      /ParentResourceNotFound|ResourceNotFound/.test(`${(e as { code?: string }).code} ${e.message}`)
    ) {
      throw new InputError(
        'imageDefinition',
        `image definition '${ref.image}' was not found in gallery '${ref.gallery}' of resource group '${ref.resourceGroup}'`,
      );
    }
    rethrowResourceGroup(e, 'resourceGroupName', ref.resourceGroup);
  }
  return versions
    .filter((v) => tryParseVersion(v.name ?? ''))
    .sort((a, b) => compareVersions(tryParseVersion(b.name!)!, tryParseVersion(a.name!)!));
}
