import type { GalleryImage, GalleryImageVersionStorageProfile } from '@azure/arm-compute';
import { isRestError } from '@azure/core-rest-pipeline';
import { computeClient } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import {
  formatResourceId,
  parseResourceId,
  resourceName,
  resourceType,
  type ResourceId,
} from '../../azure/resourceId';
import { parseBlobUrl } from '../../blobs/blobUrl';
import { InputError } from '../../validation/inputError';

export type VersionSourceKind =
  'managedImage' | 'disk' | 'snapshot' | 'galleryVersion' | 'virtualMachine' | 'vhd';

/** What a version is published from, and what Azure will compare with the image definition. */
export interface VersionSource {
  kind: VersionSourceKind;
  /** The resource id, or the blob URL (without SAS) of a VHD. */
  ref: string;
  location?: string;
  osType?: string;
  hyperVGeneration?: string;
  /** Disk security type (TrustedLaunch, ConfidentialVM_…) when the source carries one. */
  securityType?: string;
  architecture?: string;
  storageProfile: GalleryImageVersionStorageProfile;
}

const INPUT = 'source';

const KINDS: Record<string, VersionSourceKind> = {
  'microsoft.compute/images': 'managedImage',
  'microsoft.compute/disks': 'disk',
  'microsoft.compute/snapshots': 'snapshot',
  'microsoft.compute/galleries/images/versions': 'galleryVersion',
  'microsoft.compute/virtualmachines': 'virtualMachine',
};

/** Reads the source (in any subscription the connection can read) and the facts the pre-flight needs. */
export async function resolveVersionSource(
  ctx: AzureContext,
  source: string,
  vhdStorageAccountId?: string,
): Promise<VersionSource> {
  const text = source.trim();
  if (!text)
    throw new InputError(
      INPUT,
      'is required: give the id of a managed image, disk, snapshot, gallery image version or VM, or a VHD blob URL',
    );
  if (/^https?:\/\//i.test(text)) {
    const url = text.split('?')[0];
    parseBlobUrl(INPUT, url);
    if (!vhdStorageAccountId) {
      throw new InputError(
        'sourceStorageAccountId',
        'is required when the source is a VHD blob: give the id of its storage account',
      );
    }
    parseResourceId(vhdStorageAccountId, {
      input: 'sourceStorageAccountId',
      expectedType: 'Microsoft.Storage/storageAccounts',
    });
    return {
      kind: 'vhd',
      ref: url,
      storageProfile: { osDiskImage: { source: { uri: url, storageAccountId: vhdStorageAccountId } } },
    };
  }
  const id = parseResourceId(text, { input: INPUT });
  const kind = KINDS[resourceType(id).toLowerCase()];
  if (!kind) {
    throw new InputError(
      INPUT,
      `a ${resourceType(id) || 'resource group'} cannot be the source of an image version; give a managed image, disk, snapshot, gallery image version, VM or VHD blob URL`,
    );
  }
  const client = computeClient(ctx, id.subscriptionId);
  const rg = id.resourceGroup!;
  const ref = formatResourceId(id);
  const opts = { abortSignal: ctx.abortSignal };
  try {
    switch (kind) {
      case 'managedImage': {
        const image = await client.images.get(rg, resourceName(id), opts);
        return {
          kind,
          ref,
          location: image.location,
          osType: image.storageProfile?.osDisk?.osType,
          hyperVGeneration: image.hyperVGeneration ?? 'V1',
          storageProfile: { source: { id: ref } },
        };
      }
      case 'disk':
      case 'snapshot': {
        const disk =
          kind === 'disk'
            ? await client.disks.get(rg, resourceName(id), opts)
            : await client.snapshots.get(rg, resourceName(id), opts);
        return {
          kind,
          ref,
          location: disk.location,
          osType: disk.osType,
          hyperVGeneration: disk.hyperVGeneration ?? 'V1',
          securityType: disk.securityProfile?.securityType,
          architecture: disk.supportedCapabilities?.architecture,
          storageProfile: { osDiskImage: { source: { id: ref } } },
        };
      }
      case 'galleryVersion': {
        const [gallery, image, version] = id.names;
        const v = await client.galleryImageVersions.get(rg, gallery, image, version, opts);
        const definition: GalleryImage = await client.galleryImages.get(rg, gallery, image, opts);
        return {
          kind,
          ref,
          location: v.location,
          osType: definition.osType,
          hyperVGeneration: definition.hyperVGeneration ?? 'V1',
          securityType: definition.features?.find((f) => f.name === 'SecurityType')?.value,
          architecture: definition.architecture,
          storageProfile: { source: { id: ref } },
        };
      }
      case 'virtualMachine': {
        const vm = await client.virtualMachines.get(rg, resourceName(id), opts);
        const osDisk = vm.storageProfile?.osDisk;
        const diskId = osDisk?.managedDisk?.id;
        const disk = diskId ? await sourceDisk(ctx, diskId) : undefined;
        return {
          kind,
          ref,
          location: vm.location,
          osType: osDisk?.osType,
          hyperVGeneration: disk?.hyperVGeneration ?? 'V1',
          securityType: vm.securityProfile?.securityType,
          storageProfile: { source: { virtualMachineId: ref } },
        };
      }
    }
  } catch (e) {
    if (isRestError(e) && e.statusCode === 404) {
      throw new InputError(
        INPUT,
        `${ref} does not exist, or the service connection cannot read it (${e.code ?? 'NotFound'})`,
      );
    }
    throw e;
  }
  throw new InputError(INPUT, `unsupported source ${ref}`);
}

async function sourceDisk(
  ctx: AzureContext,
  diskId: string,
): Promise<{ hyperVGeneration?: string } | undefined> {
  const id: ResourceId = parseResourceId(diskId, { input: INPUT });
  return computeClient(ctx, id.subscriptionId).disks.get(id.resourceGroup!, resourceName(id), {
    abortSignal: ctx.abortSignal,
  });
}
