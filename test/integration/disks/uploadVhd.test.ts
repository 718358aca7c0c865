import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AnonymousCredential,
  BlobClient,
  PageBlobClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { CleanupStack } from '../../../shared/azure/cleanup';
import { computeClient, lroOptions } from '../../../shared/azure/clients';
import { silentLogger } from '../../../shared/azure/logger';
import { uploadVhdToManagedDisk, type UploadVhdOptions } from '../../../shared/disks/uploadVhd';
import { InputError } from '../../../shared/validation/inputError';
import { startLocalAzure, type LocalAzure } from '../../local-azure/index';
import { makeTestImages, requireQemuImg } from '../../unit/vhd/qemuImages';
import { localContext } from '../../harness/connections';

const MIB = 1024 * 1024;

describe('VHD to managed disk by direct upload (library against local Azure + Azurite)', function () {
  this.timeout(120_000);
  let azure: LocalAzure;
  let dir: string;
  const rg = 'rg-disks';
  const file = (name: string) => path.join(dir, name);

  before(async function () {
    requireQemuImg(this);
    ({ dir } = makeTestImages('upload-test-'));
    azure = await startLocalAzure();
    azure.resourceGroup(rg);
  });
  after(async () => {
    await azure?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function options(overrides: Partial<UploadVhdOptions>): UploadVhdOptions {
    return {
      resourceGroup: rg,
      diskName: 'disk',
      location: 'westeurope',
      vhdPath: file('fixed.vhd'),
      osType: 'Linux',
      hyperVGeneration: 'V2',
      sku: 'StandardSSD_LRS',
      sasDurationSeconds: 3600,
      convert: true,
      workDir: dir,
      ...overrides,
    };
  }

  async function diskBytes(diskId: string): Promise<Buffer> {
    const account = azure.blob!.accounts[0];
    const blob = new BlobClient(
      azure.diskBlobUrl(diskId)!,
      new StorageSharedKeyCredential(account.name, account.key),
    );
    return blob.downloadToBuffer();
  }

  async function upload(
    overrides: Partial<UploadVhdOptions>,
    cleanup = new CleanupStack(silentLogger),
    secrets: string[] = [],
  ) {
    try {
      return await uploadVhdToManagedDisk(localContext(azure), options(overrides), {
        cleanup,
        onSecret: (s) => secrets.push(s),
      });
    } finally {
      await cleanup.unwind();
    }
  }

  it('uploads only the data, leaves the disk Unattached with the file byte for byte, and revokes the SAS', async () => {
    const secrets: string[] = [];
    const result = await upload({ diskName: 'disk-fixed' }, undefined, secrets);
    const disk = await computeClient(localContext(azure)).disks.get(rg, 'disk-fixed');
    assert.equal(disk.diskState, 'Unattached');
    assert.equal(disk.hyperVGeneration, 'V2');
    assert.equal(disk.osType, 'Linux');
    assert.equal(disk.creationData?.uploadSizeBytes, 24 * MIB + 512);
    // Data sits in chunks 0, 1, 3 and 5 (4 MiB each) plus the footer: 16 MiB + 512 bytes of 24 MiB.
    assert.equal(result.bytesSent, 16 * MIB + 512);
    assert.equal(result.bytesSkippedZero, 8 * MIB);
    assert.ok(
      (await diskBytes(result.diskId)).equals(fs.readFileSync(file('fixed.vhd'))),
      'disk content equals the file',
    );
    assert.equal(secrets.length, 1);
    const afterRevoke = await new PageBlobClient(secrets[0], new AnonymousCredential())
      .getProperties()
      .catch((e: { statusCode?: number }) => e);
    assert.equal(
      (afterRevoke as { statusCode?: number }).statusCode,
      403,
      'the SAS stopped working once access was revoked',
    );
  });

  it('converts a dynamic VHD first and removes the converted copy', async () => {
    const result = await upload({ diskName: 'disk-dynamic', vhdPath: file('dynamic.vhd') });
    assert.equal(result.converted, 'vhd-dynamic');
    const content = await diskBytes(result.diskId);
    assert.ok(content.subarray(0, 24 * MIB).equals(fs.readFileSync(file('data.raw'))));
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('.fixed-')),
      [],
    );
  });

  it('resumes a disk left in ActiveUpload by a killed run, sending only ranges that differ', async () => {
    const client = computeClient(localContext(azure));
    const ctx = localContext(azure);
    const size = 24 * MIB + 512;
    await client.disks.createOrUpdate(
      rg,
      'disk-resume',
      {
        location: 'westeurope',
        osType: 'Linux',
        hyperVGeneration: 'V2',
        creationData: { createOption: 'Upload', uploadSizeBytes: size },
      },
      lroOptions(ctx),
    );
    const access = await client.disks.grantAccess(
      rg,
      'disk-resume',
      { access: 'Write', durationInSeconds: 600 },
      lroOptions(ctx),
    );
    const page = new PageBlobClient(access.accessSAS!, new AnonymousCredential());
    const vhd = fs.readFileSync(file('fixed.vhd'));
    await page.uploadPages(vhd.subarray(0, 4 * MIB), 0, 4 * MIB); // chunk 0: right
    await page.uploadPages(Buffer.alloc(4 * MIB, 7), 4 * MIB, 4 * MIB); // chunk 1: wrong content
    await page.uploadPages(Buffer.alloc(4 * MIB, 9), 8 * MIB, 4 * MIB); // chunk 2: zero in the file, stale here
    // The run was killed here: no revoke, the disk stays in ActiveUpload.
    assert.equal((await client.disks.get(rg, 'disk-resume')).diskState, 'ActiveUpload');

    const result = await upload({ diskName: 'disk-resume' });
    assert.equal(result.resumed, true);
    assert.equal(result.rangesUnchanged, 1);
    assert.equal(result.bytesSent, 12 * MIB + 512);
    assert.ok((await diskBytes(result.diskId)).equals(vhd));
    assert.equal((await client.disks.get(rg, 'disk-resume')).diskState, 'Unattached');
  });

  it('revokes access and deletes the half-made disk when the upload is cancelled', async () => {
    const controller = new AbortController();
    const ctx = { ...localContext(azure), abortSignal: controller.signal };
    const cleanup = new CleanupStack(silentLogger);
    const run = uploadVhdToManagedDisk(ctx, options({ diskName: 'disk-cancel', concurrency: 1 }), {
      cleanup,
      onProgress: (p) => {
        if (p.phase === 'upload' && p.rangesDone === 1) controller.abort(new Error('cancelled by the test'));
      },
    });
    await assert.rejects(run, /cancelled by the test|aborted/i);
    const report = await cleanup.unwind({ cancelled: true, budgetMs: 5_000 });
    assert.deepEqual(report.removed, ['incomplete disk disk-cancel (write access revoked, disk deleted)']);
    assert.ok(!azure.audit().some((r) => r.id.endsWith('/disk-cancel')), 'the half-made disk is gone');
  });

  it('refuses bad input before creating anything', async () => {
    const before = azure.audit({ created: true }).length;
    await assert.rejects(
      upload({ diskName: 'never-1', vhdPath: file('unaligned.vhd'), convert: false }),
      (e: unknown) =>
        e instanceof InputError && e.input === 'vhdPath' && /not a whole number of MiB/.test(e.message),
    );
    await assert.rejects(
      upload({ diskName: 'never-2', vhdPath: file('dynamic.vhd'), convert: false }),
      (e: unknown) => e instanceof InputError && /dynamic VHD/.test(e.message),
    );
    await assert.rejects(
      upload({ diskName: 'never-3', vhdPath: file('missing.vhd') }),
      (e: unknown) => e instanceof InputError && /does not exist/.test(e.message),
    );
    await assert.rejects(
      upload({ diskName: 'disk-fixed' }),
      (e: unknown) =>
        e instanceof InputError &&
        e.input === 'targetName' &&
        /already exists \(state Unattached/.test(e.message),
    );
    assert.equal(azure.audit({ created: true }).length, before);
  });
});
