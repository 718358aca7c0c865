import { isRestError } from '@azure/core-rest-pipeline';
import { computeClient } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { formatResourceId, resourceName, resourceType, type ResourceId } from '../azure/resourceId';
import { InputError } from '../validation/inputError';

/** One disk of the image being copied: its OS disk, or a data disk at its LUN. */
export interface SourceDisk {
  /** `os` or `lun{n}`: names the disk in temporary resource names and the summary. */
  key: string;
  lun?: number;
  sizeGB?: number;
}

/** What a managed image copy starts from, and what the copy must keep. */
export interface SourceImage {
  id: string;
  kind: 'managedImage' | 'snapshot';
  name: string;
  location: string;
  osType: string;
  osState: 'Generalized' | 'Specialized';
  hyperVGeneration: string;
  tags: Record<string, string>;
  disks: SourceDisk[];
  /** Snapshots only: an incremental snapshot can be copied to another region as it is. */
  incremental?: boolean;
}

const INPUT = 'sourceImageId';

/**
 * Reads the source in its own subscription. A managed image is the only source needed: its disks are read from
 * the image itself, so the copy works when Packer or a person already deleted the disks it was made from.
 */
export async function readSourceImage(
  ctx: AzureContext,
  source: ResourceId,
  snapshotOsState: 'Generalized' | 'Specialized',
): Promise<SourceImage> {
  const client = computeClient(ctx, source.subscriptionId);
  const id = formatResourceId(source);
  const opts = { abortSignal: ctx.abortSignal };
  try {
    if (resourceType(source).toLowerCase() === 'microsoft.compute/images') {
      const image = await client.images.get(source.resourceGroup!, resourceName(source), opts);
      const os = image.storageProfile?.osDisk;
      if (!os) throw new InputError(INPUT, `${id} has no OS disk`);
      return {
        id: image.id ?? id,
        kind: 'managedImage',
        name: image.name ?? resourceName(source),
        location: image.location,
        osType: os.osType,
        osState: os.osState,
        hyperVGeneration: image.hyperVGeneration ?? 'V1',
        tags: image.tags ?? {},
        disks: [
          { key: 'os', sizeGB: os.diskSizeGB },
          ...(image.storageProfile?.dataDisks ?? []).map((d) => ({
            key: `lun${d.lun}`,
            lun: d.lun,
            sizeGB: d.diskSizeGB,
          })),
        ],
      };
    }
    const snapshot = await client.snapshots.get(source.resourceGroup!, resourceName(source), opts);
    const security = snapshot.securityProfile?.securityType;
    if (security && security !== 'Standard') {
      throw new InputError(
        INPUT,
        `${id} has security type ${security}; a managed image cannot hold a ${security} disk (Azure keeps those in Azure Compute Gallery image definitions). Publish it with ShareToGallery and copy the gallery version (copyType galleryVersion)`,
      );
    }
    if (!snapshot.osType) {
      throw new InputError(
        INPUT,
        `${id} has no OS type, so it cannot become an image; set osType on the snapshot (or make it with ConvertDisk, which does)`,
      );
    }
    return {
      id: snapshot.id ?? id,
      kind: 'snapshot',
      name: snapshot.name ?? resourceName(source),
      location: snapshot.location,
      osType: snapshot.osType,
      osState: snapshotOsState,
      hyperVGeneration: snapshot.hyperVGeneration ?? 'V1',
      tags: snapshot.tags ?? {},
      disks: [{ key: 'os', sizeGB: snapshot.diskSizeGB }],
      incremental: snapshot.incremental === true,
    };
  } catch (e) {
    if (isRestError(e) && e.statusCode === 404) {
      throw new InputError(
        INPUT,
        `${id} does not exist, or the service connection cannot read it (${e.code ?? 'NotFound'})`,
      );
    }
    throw e;
  }
}
