import { parseResourceId } from '../azure/resourceId';
import { InputError } from '../validation/inputError';

/** Where a gallery image version lives, by name (the task's inputs) or from its resource id. */
export interface GalleryVersionRef {
  subscriptionId?: string;
  resourceGroup: string;
  gallery: string;
  image: string;
  version: string;
}

export function versionId(subscriptionId: string, ref: GalleryVersionRef): string {
  return `/subscriptions/${ref.subscriptionId ?? subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Compute/galleries/${ref.gallery}/images/${ref.image}/versions/${ref.version}`;
}

export function parseVersionId(input: string, id: string): GalleryVersionRef {
  const parsed = parseResourceId(id, { input, expectedType: 'Microsoft.Compute/galleries/images/versions' });
  const [gallery, image, version] = parsed.names;
  if (!parsed.resourceGroup) throw new InputError(input, `'${id}' has no resource group`);
  return {
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup,
    gallery,
    image,
    version,
  };
}
