import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../errors';
import type { ResourceStore, StoredResource } from '../store';
import { copyBytes, refuseWhileCopying, type DiskBlobs, type ImageDiskBytes, type OwnBytes } from './disks';
import { trackedResource } from './tracked';
import type { ResourceTypeSpec } from './types';

/*
 * Microsoft.Compute/images (managed images), shaped on ComputeRP's image.json: a storage profile naming an OS
 * disk and data disks by managed disk, snapshot or blob. Azure refuses a source that does not exist and an image
 * whose generation differs from its OS disk's. An image keeps its own copy of each disk's bytes (only the data,
 * as disk copies do), so it outlives its sources and disks can be made FromImage of it.
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
  refuseWhileCopying(source, 'make an image of it');
  return source;
}

/** Security types a managed image cannot hold: Azure keeps Trusted Launch and confidential images in galleries. */
function refuseSecurityType(source: StoredResource, where: string): void {
  const type = (source.properties.securityProfile as { securityType?: string } | undefined)?.securityType;
  if (type && type !== 'Standard') {
    throw armErrors.invalidParameter(
      `The source '${source.name}' has security type '${type}'; managed images support only Standard security. Publish it to an Azure Compute Gallery image definition with SecurityType '${type}' instead.`,
      where,
    );
  }
}

async function keepBytes(
  blobs: DiskBlobs | undefined,
  source: StoredResource,
  osType?: string,
): Promise<ImageDiskBytes> {
  const uniqueId = randomUUID();
  if (blobs) await copyBytes(blobs, String(source.properties.uniqueId), uniqueId);
  return { uniqueId, sizeBytes: Number(source.properties.diskSizeBytes ?? 0), osType };
}

export function imagesProvider(blobs?: DiskBlobs): ResourceTypeSpec {
  return {
    type: 'Microsoft.Compute/images',
    asyncCreate: true,
    asyncDelete: true,
    async write(ctx) {
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
      refuseSecurityType(os, 'storageProfile.osDisk');
      const luns = new Set<number>();
      const dataSources: StoredResource[] = [];
      for (const [k, data] of (profile.dataDisks ?? []).entries()) {
        dataSources.push(sourceOf(ctx.store, data, `storageProfile.dataDisks[${k}]`));
        if (typeof data.lun !== 'number' || luns.has(data.lun)) {
          throw armErrors.invalidParameter(
            `storageProfile.dataDisks[${k}].lun must be a unique number.`,
            'lun',
          );
        }
        luns.add(data.lun);
      }
      if (ctx.existing) throw armErrors.propertyChangeNotAllowed('image.properties.storageProfile');
      const ownBytes = {
        os: await keepBytes(blobs, os, String(profile.osDisk.osType)),
        data: Object.fromEntries(
          await Promise.all(
            (profile.dataDisks ?? []).map(async (d, k) => [
              String(d.lun),
              await keepBytes(blobs, dataSources[k]),
            ]),
          ),
        ) as Record<string, ImageDiskBytes>,
      };
      const sizeGB = (r: StoredResource) => r.properties.diskSizeGB as number | undefined;
      return {
        ...trackedResource(ctx),
        properties: {
          // Azure fills in caching and storage type where the request leaves them out, and keeps zoneResilient.
          storageProfile: {
            ...profile,
            osDisk: {
              caching: 'ReadWrite',
              storageAccountType: 'Standard_LRS',
              diskSizeGB: sizeGB(os),
              ...profile.osDisk,
            },
            dataDisks: (profile.dataDisks ?? []).map((d, k) => ({
              caching: 'None',
              storageAccountType: 'Standard_LRS',
              diskSizeGB: sizeGB(dataSources[k]),
              ...d,
            })),
            zoneResilient: profile.zoneResilient === true,
          },
          hyperVGeneration: generation,
        },
        internal: { ownBytes },
      };
    },
    onDeleted(resource) {
      const own = resource.internal?.ownBytes as OwnBytes | undefined;
      if (!blobs || !own) return;
      for (const bytes of [own.os, ...Object.values(own.data)])
        blobs.pending.push(
          blobs
            .containerFor(bytes.uniqueId)
            .deleteIfExists()
            .catch(() => undefined),
        );
    },
  };
}
