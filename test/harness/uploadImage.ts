import * as fs from 'node:fs';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { AnonymousCredential, PageBlobClient, type StoragePipelineOptions } from '@azure/storage-blob';

const CHUNK = 4 * 1024 * 1024;

/**
 * A test image as a managed image, the way a pipeline gets one: the VHD uploaded into a disk by direct upload
 * (only the 4 MiB chunks that hold data), then an image of the disk. Returns the image id.
 */
export async function uploadTestImage(
  client: ComputeManagementClient,
  target: {
    subscriptionId: string;
    resourceGroup: string;
    name: string;
    location?: string;
    generation?: 'V1' | 'V2';
  },
  vhd: string,
  storageOptions: StoragePipelineOptions = {},
): Promise<string> {
  const lro = { updateIntervalInMs: 50 };
  const { resourceGroup: rg, name } = target;
  const location = target.location ?? 'westeurope';
  const generation = target.generation ?? 'V2';
  const size = fs.statSync(vhd).size;
  await client.disks.createOrUpdate(
    rg,
    `${name}-disk`,
    {
      location,
      osType: 'Linux',
      hyperVGeneration: generation,
      creationData: { createOption: 'Upload', uploadSizeBytes: size },
    },
    lro,
  );
  const access = await client.disks.grantAccess(
    rg,
    `${name}-disk`,
    { access: 'Write', durationInSeconds: 600 },
    lro,
  );
  const page = new PageBlobClient(access.accessSAS!, new AnonymousCredential(), storageOptions);
  const fd = fs.openSync(vhd, 'r');
  const chunk = Buffer.alloc(CHUNK);
  try {
    for (let offset = 0; offset < size; offset += CHUNK) {
      const n = fs.readSync(fd, chunk, 0, Math.min(CHUNK, size - offset), offset);
      if (chunk.subarray(0, n).some((b) => b !== 0)) await page.uploadPages(chunk.subarray(0, n), offset, n);
    }
  } finally {
    fs.closeSync(fd);
  }
  await client.disks.revokeAccess(rg, `${name}-disk`, lro);
  const disk = `/subscriptions/${target.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/disks/${name}-disk`;
  const image = await client.images.createOrUpdate(
    rg,
    name,
    {
      location,
      hyperVGeneration: generation,
      storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized', managedDisk: { id: disk } } },
    },
    lro,
  );
  await client.disks.delete(rg, `${name}-disk`, lro);
  return image.id!;
}
