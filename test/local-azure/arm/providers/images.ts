import { ArmError, armErrors } from '../errors';
import type { ResourceStore, StoredResource } from '../store';
import { requiredLocation } from './location';
import type { ResourceTypeSpec } from './types';

/*
 * Microsoft.Compute/images (managed images), shaped on ComputeRP's image.json: a storage profile naming an OS
 * disk and data disks by managed disk, snapshot or blob. Azure refuses a source that does not exist and an image
 * whose generation differs from its OS disk's.
 */

type Props = Record<string, unknown>;
interface ImageDiskBody {
  managedDisk?: { id?: string };
  blobUri?: string;
  snapshot?: { id?: string };
  lun?: number;
  osType?: string;
  osState?: string;
}

function sourceOf(store: ResourceStore, disk: ImageDiskBody, where: string): StoredResource {
  const id = disk.managedDisk?.id ?? disk.snapshot?.id;
  // Azure makes images from VHD blobs too; this stand-in does not, and says so in its own words.
  if (!id && disk.blobUri)
    throw new ArmError(
      501,
      'NotImplementedInLocalAzure',
      `The local Azure makes managed images from managed disks and snapshots only, not from a VHD blob (${where}.blobUri).`,
    );
  if (!id) throw armErrors.invalidParameter(`${where} needs a managedDisk or snapshot reference.`, where);
  const source = store.get(id);
  if (!source) throw new ArmError(404, 'NotFound', `Resource '${id}' referenced by ${where} was not found.`);
  return source;
}

export const images: ResourceTypeSpec = {
  type: 'Microsoft.Compute/images',
  asyncCreate: true,
  asyncDelete: true,
  write(ctx) {
    const p = ((ctx.body.properties as Props) ?? {}) as Props;
    const profile =
      (p.storageProfile as
        { osDisk?: ImageDiskBody; dataDisks?: ImageDiskBody[]; zoneResilient?: boolean } | undefined) ?? {};
    if (!profile.osDisk)
      throw armErrors.invalidParameter(
        "Required parameter 'osDisk' is missing (null).",
        'storageProfile.osDisk',
      );
    const os = sourceOf(ctx.store, profile.osDisk, 'storageProfile.osDisk');
    if (!['Windows', 'Linux'].includes(String(profile.osDisk.osType))) {
      throw armErrors.invalidParameter(
        "Required parameter 'osType' is missing or invalid.",
        'storageProfile.osDisk.osType',
      );
    }
    if (!['Generalized', 'Specialized'].includes(String(profile.osDisk.osState))) {
      throw armErrors.invalidParameter(
        "Required parameter 'osState' is missing or invalid.",
        'storageProfile.osDisk.osState',
      );
    }
    const generation = String(p.hyperVGeneration ?? 'V1');
    const sourceGeneration = String(os.properties.hyperVGeneration ?? 'V1');
    if (generation !== sourceGeneration) {
      throw armErrors.invalidParameter(
        `The Hyper-V generation of the image (${generation}) does not match the generation of its OS disk source (${sourceGeneration}).`,
        'hyperVGeneration',
      );
    }
    const luns = new Set<number>();
    for (const [k, data] of (profile.dataDisks ?? []).entries()) {
      sourceOf(ctx.store, data, `storageProfile.dataDisks[${k}]`);
      if (typeof data.lun !== 'number' || luns.has(data.lun)) {
        throw armErrors.invalidParameter(
          `storageProfile.dataDisks[${k}].lun must be a unique number.`,
          'lun',
        );
      }
      luns.add(data.lun);
    }
    if (ctx.existing) throw armErrors.propertyChangeNotAllowed('image.properties.storageProfile');
    return {
      id: ctx.id,
      name: ctx.name,
      type: '',
      location: requiredLocation(ctx),
      tags: ctx.body.tags as Record<string, string> | undefined,
      properties: {
        // Azure fills in caching and storage type where the request leaves them out, and keeps zoneResilient.
        storageProfile: {
          ...profile,
          osDisk: { caching: 'ReadWrite', storageAccountType: 'Standard_LRS', ...profile.osDisk },
          dataDisks: (profile.dataDisks ?? []).map((d) => ({
            caching: 'None',
            storageAccountType: 'Standard_LRS',
            ...d,
          })),
          zoneResilient: profile.zoneResilient === true,
        },
        hyperVGeneration: generation,
      },
    };
  },
};
