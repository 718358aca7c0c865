// A managed image of the local Azure keeps its own bytes, as Azure's does: deleting the disks it was made from
// breaks nothing, and disks made FromImage of it (OS disk, or a data disk by LUN) hold those bytes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AnonymousCredential, PageBlobClient } from '@azure/storage-blob';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { computeClient } from '../../shared/azure/clients';
import { localContext } from '../harness/connections';
import { startLocalAzure, type LocalAzure } from './index';

const MIB = 1024 * 1024;

describe('local Azure managed images keep their own bytes', function () {
  this.timeout(60_000);
  let azure: LocalAzure;
  let client: ComputeManagementClient;
  const rg = 'rg-image-bytes';
  const lro = { updateIntervalInMs: 20 };
  const osBytes = randomBytes(MIB);
  const dataBytes = randomBytes(MIB);

  async function uploadedDisk(name: string, content: Buffer, extra: object = {}): Promise<string> {
    await client.disks.createOrUpdate(
      rg,
      name,
      {
        location: 'westeurope',
        creationData: { createOption: 'Upload', uploadSizeBytes: 32 * MIB + 512 },
        ...extra,
      },
      lro,
    );
    const access = await client.disks.grantAccess(rg, name, { access: 'Write', durationInSeconds: 600 }, lro);
    await new PageBlobClient(access.accessSAS!, new AnonymousCredential()).uploadPages(
      content,
      4 * MIB,
      content.length,
    );
    await client.disks.revokeAccess(rg, name, lro);
    return `${azure.resourceGroup(rg)}/providers/Microsoft.Compute/disks/${name}`;
  }

  async function bytesOf(disk: string): Promise<Buffer> {
    const access = await client.disks.grantAccess(rg, disk, { access: 'Read', durationInSeconds: 600 }, lro);
    const data = await new PageBlobClient(access.accessSAS!, new AnonymousCredential()).downloadToBuffer(
      4 * MIB,
      MIB,
    );
    await client.disks.revokeAccess(rg, disk, lro);
    return data;
  }

  before(async () => {
    azure = await startLocalAzure();
    azure.resourceGroup(rg);
    client = computeClient(localContext(azure));
  });
  after(() => azure?.stop());

  it('outlives its source disks, and disks made FromImage hold the OS and data disks by LUN', async () => {
    const os = await uploadedDisk('os', osBytes, { osType: 'Linux', hyperVGeneration: 'V2' });
    const data = await uploadedDisk('data', dataBytes);
    const image = await client.images.createOrUpdate(
      rg,
      'img',
      {
        location: 'westeurope',
        hyperVGeneration: 'V2',
        storageProfile: {
          osDisk: { osType: 'Linux', osState: 'Generalized', managedDisk: { id: os } },
          dataDisks: [{ lun: 3, managedDisk: { id: data } }],
        },
      },
      lro,
    );
    assert.equal(image.storageProfile?.osDisk?.diskSizeGB, 1);
    assert.equal(JSON.stringify(image).includes('ownBytes'), false, 'bookkeeping stays inside');
    await client.disks.delete(rg, 'os', lro);
    await client.disks.delete(rg, 'data', lro);

    const fromImage = (name: string, lun?: number) =>
      client.disks.createOrUpdate(
        rg,
        name,
        {
          location: 'westeurope',
          creationData: { createOption: 'FromImage', imageReference: { id: image.id, lun } },
        },
        lro,
      );
    const osCopy = await fromImage('os-again');
    assert.equal(osCopy.osType, 'Linux');
    assert.equal(osCopy.hyperVGeneration, 'V2');
    assert.equal(osCopy.diskSizeBytes, 32 * MIB);
    assert.ok((await bytesOf('os-again')).equals(osBytes), 'the OS disk bytes came from the image');
    await fromImage('data-again', 3);
    assert.ok((await bytesOf('data-again')).equals(dataBytes), 'the LUN 3 bytes came from the image');

    const noLun = await fromImage('nope', 7).catch((e: unknown) => e as Error);
    assert.match(String(noLun), /no data disk at LUN 7/);
    const elsewhere = await client.disks
      .createOrUpdate(
        rg,
        'east',
        { location: 'eastus', creationData: { createOption: 'FromImage', imageReference: { id: image.id } } },
        lro,
      )
      .catch((e: unknown) => e as Error);
    assert.match(String(elsewhere), /must be in the same region/);
  });

  it('refuses a Trusted Launch source for a managed image, as Azure does', async () => {
    const tl = await uploadedDisk('tl', osBytes, {
      osType: 'Linux',
      hyperVGeneration: 'V2',
      securityProfile: { securityType: 'TrustedLaunch' },
    });
    const refused = await client.images
      .createOrUpdate(
        rg,
        'tl-img',
        {
          location: 'westeurope',
          hyperVGeneration: 'V2',
          storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized', managedDisk: { id: tl } } },
        },
        lro,
      )
      .catch((e: unknown) => e as { statusCode?: number; message?: string });
    assert.equal((refused as { statusCode?: number }).statusCode, 400);
    assert.match(String((refused as Error).message), /TrustedLaunch.*only Standard/);
  });
});
