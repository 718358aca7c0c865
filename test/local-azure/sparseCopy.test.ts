// Copies inside the local Azure scale like Azure's: a 32 GiB disk holding 100 MiB copies in seconds, with memory in
// proportion to the data (Azurite's own page-blob copy read whole blobs into memory).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { AnonymousCredential, PageBlobClient } from '@azure/storage-blob';
import { computeClient } from '../../shared/azure/clients';
import { localContext } from '../harness/connections';
import { startLocalAzure, type LocalAzure } from './index';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Peak resident memory of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

describe('local Azure copies only the data of a disk', function () {
  this.timeout(120_000);
  let azure: LocalAzure;
  const rg = 'rg-sparse';
  const lro = { updateIntervalInMs: 20 };
  before(async () => {
    azure = await startLocalAzure({ crossRegionCopyMs: 2_000 });
    azure.resourceGroup(rg);
  });
  after(() => azure?.stop());

  it('snapshots a 32 GiB disk with 100 MiB of data in seconds, without holding the disk in memory', async () => {
    const client = computeClient(localContext(azure));
    const size = 32 * GIB + 512;
    await client.disks.createOrUpdate(
      rg,
      'big',
      {
        location: 'westeurope',
        osType: 'Linux',
        creationData: { createOption: 'Upload', uploadSizeBytes: size },
      },
      lro,
    );
    const access = await client.disks.grantAccess(
      rg,
      'big',
      { access: 'Write', durationInSeconds: 600 },
      lro,
    );
    const page = new PageBlobClient(access.accessSAS!, new AnonymousCredential());
    const chunk = randomBytes(4 * MIB);
    const offsets = Array.from({ length: 25 }, (_, i) => i * 1280 * MIB); // spread over the whole 32 GiB
    for (const offset of offsets) await page.uploadPages(chunk, offset, chunk.length);
    await client.disks.revokeAccess(rg, 'big', lro);
    const started = Date.now();
    await client.snapshots.createOrUpdate(
      rg,
      'big-snap',
      {
        location: 'westeurope',
        creationData: {
          createOption: 'Copy',
          sourceResourceId: `${azure.resourceGroup(rg)}/providers/Microsoft.Compute/disks/big`,
        },
      },
      lro,
    );
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 30, `the copy took ${seconds} s`);
    assert.ok(
      peakRss(azure.blob!.blobPid) < 2 * GIB,
      `Azurite peaked at ${(peakRss(azure.blob!.blobPid) / GIB).toFixed(1)} GiB`,
    );
    const snapshotAccess = await client.snapshots.grantAccess(
      rg,
      'big-snap',
      { access: 'Read', durationInSeconds: 600 },
      lro,
    );
    const reader = new PageBlobClient(snapshotAccess.accessSAS!, new AnonymousCredential());
    assert.equal((await reader.getProperties()).contentLength, size);
    for (const offset of [offsets[0], offsets[12], offsets[24]])
      assert.ok((await reader.downloadToBuffer(offset, chunk.length)).equals(chunk), `bytes at ${offset}`);
    let ranges = 0;
    for await (const p of reader.listPageRanges().byPage()) ranges += p.pageRange?.length ?? 0;
    assert.equal(ranges, 25, 'only the ranges with data exist in the copy');
    await client.snapshots.revokeAccess(rg, 'big-snap', lro);
  });

  it('refuses a plain Copy into another region, as Azure does (that takes CopyStart)', async () => {
    const client = computeClient(localContext(azure));
    const refused = await client.snapshots
      .createOrUpdate(
        rg,
        'snap-elsewhere',
        {
          location: 'eastus',
          creationData: {
            createOption: 'Copy',
            sourceResourceId: `${azure.resourceGroup(rg)}/providers/Microsoft.Compute/disks/big`,
          },
        },
        lro,
      )
      .catch((e: unknown) => e as { statusCode?: number; message?: string });
    assert.equal((refused as { statusCode?: number }).statusCode, 400);
    assert.match(String((refused as Error).message), /needs the same region.*CopyStart/);
  });

  it('copies an incremental snapshot to another region with CopyStart, completionPercent growing until it may be used', async () => {
    const client = computeClient(localContext(azure));
    const group = azure.resourceGroup(rg);
    await client.snapshots.createOrUpdate(
      rg,
      'big-inc',
      {
        location: 'westeurope',
        incremental: true,
        creationData: {
          createOption: 'Copy',
          sourceResourceId: `${group}/providers/Microsoft.Compute/disks/big`,
        },
      },
      lro,
    );
    const copying = await client.snapshots.createOrUpdate(
      rg,
      'big-east',
      {
        location: 'eastus',
        incremental: true,
        creationData: {
          createOption: 'CopyStart',
          sourceResourceId: `${group}/providers/Microsoft.Compute/snapshots/big-inc`,
        },
      },
      lro,
    );
    const first = copying.completionPercent ?? 100;
    assert.ok(first < 100, `a cross-region copy takes time (completionPercent ${first})`);
    const early = await client.snapshots
      .grantAccess(rg, 'big-east', { access: 'Read', durationInSeconds: 600 }, lro)
      .catch((e: unknown) => e as { statusCode?: number });
    assert.equal((early as { statusCode?: number }).statusCode, 409, 'no access before the copy is complete');
    const seen: number[] = [first];
    while (seen[seen.length - 1] < 100) {
      await new Promise((r) => setTimeout(r, 100));
      seen.push((await client.snapshots.get(rg, 'big-east')).completionPercent ?? 100);
    }
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      seen,
      `completionPercent only grows: ${seen.join(', ')}`,
    );
    const copied = await client.snapshots.get(rg, 'big-east');
    assert.equal(copied.location, 'eastus');
    assert.equal(
      copied.incrementalSnapshotFamilyId,
      (await client.snapshots.get(rg, 'big-inc')).incrementalSnapshotFamilyId,
    );
    const plain = await client.snapshots
      .createOrUpdate(
        rg,
        'not-incremental',
        {
          location: 'eastus',
          creationData: {
            createOption: 'CopyStart',
            sourceResourceId: `${group}/providers/Microsoft.Compute/disks/big`,
          },
        },
        lro,
      )
      .catch((e: unknown) => e as { statusCode?: number });
    assert.equal(
      (plain as { statusCode?: number }).statusCode,
      400,
      'CopyStart takes an incremental snapshot',
    );
  });
});
