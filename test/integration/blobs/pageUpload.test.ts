import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { Logger } from '../../../shared/azure/logger';
import { uploadFileToPageBlob } from '../../../shared/blobs/pageUpload';
import { allocatedExtents } from '../../../shared/vhd/allocation';
import { startAzurite, type AzuriteInstance } from '../../local-azure/azurite';
import { startBlobFaultProxy, type BlobFaultProxy } from '../../local-azure/blobFaultProxy';

const MIB = 1024 * 1024;

describe('page blob upload under storage faults (Azurite behind a fault-injecting proxy)', function () {
  this.timeout(60_000);
  let azurite: AzuriteInstance;
  let proxy: BlobFaultProxy;
  let dir: string;
  let file: string;
  let blobs = 0;

  before(async () => {
    azurite = await startAzurite();
    proxy = await startBlobFaultProxy(azurite.port);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'page-upload-'));
    file = path.join(dir, 'disk.img');
    // 24 MiB + 512 with data in three separate 4 MiB ranges.
    const fd = fs.openSync(file, 'w');
    fs.ftruncateSync(fd, 24 * MIB + 512);
    for (const at of [0, 9 * MIB, 20 * MIB]) fs.writeSync(fd, randomBytes(MIB), 0, MIB, at);
    fs.closeSync(fd);
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A new page blob of the file's size, its SAS URL routed through the proxy. */
  async function targetBlob(): Promise<{ url: string; read: () => Promise<Buffer> }> {
    const account = azurite.accounts[0];
    const credential = new StorageSharedKeyCredential(account.name, account.key);
    const container = new BlobServiceClient(
      azurite.blobEndpoint(account.name),
      credential,
    ).getContainerClient('uploads');
    await container.createIfNotExists();
    const name = `disk-${++blobs}.vhd`;
    const page = container.getPageBlobClient(name);
    await page.create(fs.statSync(file).size);
    const sas = generateBlobSASQueryParameters(
      {
        containerName: 'uploads',
        blobName: name,
        permissions: BlobSASPermissions.parse('rw'),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      credential,
    ).toString();
    return { url: proxy.url(`${page.url}?${sas}`), read: () => page.downloadToBuffer() };
  }

  function recordingLogger(): Logger & { warnings: string[] } {
    const warnings: string[] = [];
    const ignore = () => undefined;
    return { warnings, debug: ignore, info: ignore, error: ignore, warn: (m) => void warnings.push(m) };
  }

  // The SDK's own retry is switched off so that what is tested is the uploader's per-range retry.
  const noSdkRetry = { retryOptions: { maxTries: 1 } };

  it('retries a Put Page that fails (500, then a dropped connection) and still writes every byte', async () => {
    const target = await targetBlob();
    proxy.add({ method: 'PUT', match: /comp=page/, fault: 'serverError' });
    proxy.add({ method: 'PUT', match: /comp=page/, fault: 'reset' });
    const logger = recordingLogger();
    const result = await uploadFileToPageBlob(target.url, file, {
      clientOptions: noSdkRetry,
      logger,
      concurrency: 1,
    });
    assert.deepEqual(
      proxy.fired.slice(-2).map((f) => f.fault),
      ['serverError', 'reset'],
    );
    assert.equal(logger.warnings.length, 2, logger.warnings.join('\n'));
    assert.match(logger.warnings[0], /^Writing bytes 0-4194303 failed \(attempt 1 of 4\), retrying/);
    assert.match(logger.warnings[1], /^Writing bytes 0-4194303 failed \(attempt 2 of 4\), retrying/);
    assert.equal(result.rangesSent, 3, 'only the three 4 MiB ranges that hold data');
    assert.ok((await target.read()).equals(fs.readFileSync(file)), 'the blob holds the file byte for byte');
  });

  it('gives up on a range after its attempts and fails the upload', async () => {
    const target = await targetBlob();
    proxy.add({ method: 'PUT', match: /comp=page/, fault: 'serverError', count: 3 });
    const logger = recordingLogger();
    await assert.rejects(
      uploadFileToPageBlob(target.url, file, {
        clientOptions: noSdkRetry,
        logger,
        concurrency: 1,
        maxAttempts: 3,
      }),
      /Injected by the local Azure|InternalError/,
    );
    assert.equal(logger.warnings.length, 2);
  });

  it('with the file system’s allocation map (holes skipped unread) the blob, ranges and digest are those of reading everything; allocated zeros are still not sent', async function () {
    if (!(await allocatedExtents(file))) {
      if (process.env.CI) throw new Error('qemu-img is not installed; CI must have it: check .ci/run');
      console.log('        skipped: qemu-img is not installed (apt-get install -y qemu-utils)');
      this.skip();
    }
    // An allocated chunk of zeros (written, so not a hole) and data across a chunk boundary.
    const mixed = path.join(dir, 'mixed.img');
    const fd = fs.openSync(mixed, 'w');
    fs.ftruncateSync(fd, 24 * MIB + 512);
    fs.writeSync(fd, Buffer.alloc(4 * MIB), 0, 4 * MIB, 4 * MIB);
    fs.writeSync(fd, randomBytes(MIB), 0, MIB, 15.5 * MIB);
    fs.writeSync(fd, Buffer.from('conectix'), 0, 8, 24 * MIB);
    fs.closeSync(fd);
    const extents = (await allocatedExtents(mixed))!;
    assert.ok(
      extents.some((e) => e.offset <= 4 * MIB && e.offset + e.length >= 8 * MIB),
      `the zeros written are allocated: ${JSON.stringify(extents)}`,
    );
    const saved = file;
    file = mixed;
    try {
      const mapped = await targetBlob();
      const withMap = await uploadFileToPageBlob(mapped.url, mixed);
      const read = await targetBlob();
      const withoutMap = await uploadFileToPageBlob(read.url, mixed, { allocationMap: false });
      assert.equal(
        withMap.rangesSent,
        3,
        'the chunks at 12 and 16 MiB, and the footer; not the allocated zeros',
      );
      assert.equal(withMap.sha256, withoutMap.sha256);
      assert.equal(withMap.bytesSkippedZero, withoutMap.bytesSkippedZero);
      assert.ok(
        (await mapped.read()).equals(fs.readFileSync(mixed)),
        'the blob holds the file byte for byte',
      );
    } finally {
      file = saved;
    }
    assert.equal(
      await allocatedExtents(mixed, { qemuImg: path.join(dir, 'no-such-qemu-img') }),
      undefined,
      'without qemu-img the uploader reads everything, as before',
    );
  });

  it('refuses a blob of another size before writing anything (the size check overlaps the first reads)', async () => {
    const account = azurite.accounts[0];
    const container = new BlobServiceClient(
      azurite.blobEndpoint(account.name),
      new StorageSharedKeyCredential(account.name, account.key),
    ).getContainerClient('uploads');
    const page = container.getPageBlobClient('wrong-size.vhd');
    await page.create(8 * MIB);
    const sas = generateBlobSASQueryParameters(
      {
        containerName: 'uploads',
        blobName: 'wrong-size.vhd',
        permissions: BlobSASPermissions.parse('rw'),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      new StorageSharedKeyCredential(account.name, account.key),
    ).toString();
    await assert.rejects(
      uploadFileToPageBlob(`${page.url}?${sas}`, file),
      /the page blob is 8388608 bytes but the file is 25166336: they must be the same size/,
    );
    const ranges = await page.getPageRanges();
    assert.deepEqual(ranges.pageRange ?? [], [], 'nothing was written');
  });

  it('read-back verification catches content that differs from the file; without it the page ranges still match', async () => {
    // Data reads are GETs of the blob itself; page-range listings (comp=pagelist) stay intact.
    const dataRead = /^(?!.*comp=)/;
    const clean = await uploadFileToPageBlob((await targetBlob()).url, file, { verifyByReadBack: true });
    proxy.add({ method: 'GET', match: dataRead, fault: 'corruptBody', count: 1 });
    const unread = await uploadFileToPageBlob((await targetBlob()).url, file, { clientOptions: noSdkRetry });
    assert.equal(
      unread.sha256,
      clean.sha256,
      'without read-back nothing is read, the digest is of what was sent',
    );
    const again = await targetBlob();
    const before = proxy.fired.length;
    assert.equal(
      before,
      proxy.fired.filter((f) => f.fault !== 'corruptBody').length,
      'no data was read without read-back',
    );
    await assert.rejects(
      uploadFileToPageBlob(again.url, file, { verifyByReadBack: true, clientOptions: noSdkRetry }),
      /upload verification failed: bytes \d+-\d+ in the blob differ from the file/,
    );
    assert.equal(proxy.fired.length, before + 1, 'the corrupted read happened');
  });
});
