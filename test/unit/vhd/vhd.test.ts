import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataRanges } from '../../../shared/vhd/dataRanges';
import { buildFixedFooter, chsGeometry, DiskType, parseFooter } from '../../../shared/vhd/footer';
import { inspectImageFile, validateFixedVhd } from '../../../shared/vhd/inspect';
import { convertWithQemuImg } from '../../../shared/vhd/qemuImg';
import { convertToFixedVhd } from '../../../shared/vhd/toFixed';
import { checkUploadSize } from '../../../shared/vhd/uploadRules';
import { VhdError } from '../../../shared/vhd/vhdError';
import { assertKnownData, makeTestImages, qemuImg, requireQemuImg } from './qemuImages';

const MIB = 1024 * 1024;

function rejectsWith(code: string, message?: RegExp) {
  return (e: unknown) => e instanceof VhdError && e.code === code && (!message || message.test(e.message));
}

describe('VHD footer (pure)', () => {
  it('builds a fixed footer that parses back with a valid checksum and the spec geometry', () => {
    const footer = parseFooter(buildFixedFooter(24 * MIB))!;
    assert.equal(footer.diskType, DiskType.Fixed);
    assert.equal(footer.currentSize, 24 * MIB);
    assert.equal(footer.checksum, footer.computedChecksum);
    assert.deepEqual(footer.geometry, chsGeometry(24 * MIB));
  });

  it('checks Azure upload sizes', () => {
    assert.doesNotThrow(() => checkUploadSize(20 * MIB + 512));
    assert.throws(
      () => checkUploadSize(20 * MIB + 1024),
      rejectsWith('Unaligned', /\(size − 512\) to be a whole number of MiB/),
    );
    assert.throws(() => checkUploadSize(19 * MIB + 512), rejectsWith('TooSmall', /start at 20 MiB/));
    assert.throws(
      () => checkUploadSize(32 * 1024 * 1024 * MIB + MIB + 512),
      rejectsWith('TooLarge', /32 TiB/),
    );
  });
});

describe('VHD images made by qemu-img', function () {
  this.timeout(60_000);
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  before(function () {
    requireQemuImg(this);
    ({ dir } = makeTestImages('vhd-test-'));
    fs.writeFileSync(file('notes.txt'), 'not a disk image\n'.repeat(100));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('recognises each format by its signature', async () => {
    const formats = await Promise.all(
      ['fixed.vhd', 'dynamic.vhd', 'disk.vhdx', 'disk.qcow2', 'data.raw'].map(
        async (n) => (await inspectImageFile(file(n))).format,
      ),
    );
    assert.deepEqual(formats, ['vhd-fixed', 'vhd-dynamic', 'vhdx', 'qcow2', 'raw']);
  });

  it('accepts a fixed VHD of whole MiB, as qemu-img info sees it', async () => {
    const info = await validateFixedVhd(file('fixed.vhd'));
    assert.equal(info.footer.currentSize, 24 * MIB);
    const qemu = JSON.parse(qemuImg('info', '--output=json', '-f', 'vpc', file('fixed.vhd'))) as {
      'virtual-size': number;
    };
    assert.equal(qemu['virtual-size'], info.footer.currentSize);
    checkUploadSize(info.fileBytes);
  });

  it('says exactly what is wrong with each bad file', async () => {
    await assert.rejects(
      validateFixedVhd(file('dynamic.vhd')),
      rejectsWith('Dynamic', /dynamic VHD; Azure takes fixed VHD only/),
    );
    await assert.rejects(
      validateFixedVhd(file('unaligned.vhd')),
      rejectsWith('Unaligned', /not a whole number of MiB/),
    );
    await assert.rejects(validateFixedVhd(file('disk.vhdx')), rejectsWith('UnsupportedFormat', /is a VHDX/));
    await assert.rejects(validateFixedVhd(file('notes.txt')), rejectsWith('NotVhd', /cookie 'conectix'/));

    fs.copyFileSync(file('fixed.vhd'), file('corrupt.vhd'));
    const fd = fs.openSync(file('corrupt.vhd'), 'r+');
    fs.writeSync(fd, Buffer.from([0x7f]), 0, 1, 24 * MIB + 48 + 7); // a byte of the current size field
    fs.closeSync(fd);
    await assert.rejects(
      validateFixedVhd(file('corrupt.vhd')),
      rejectsWith('BadChecksum', /checksum 0x[0-9a-f]{8} is stored but the footer sums to 0x[0-9a-f]{8}/),
    );

    fs.copyFileSync(file('fixed.vhd'), file('truncated.vhd'));
    const footer = fs.readFileSync(file('fixed.vhd')).subarray(24 * MIB);
    fs.truncateSync(file('truncated.vhd'), 16 * MIB);
    fs.appendFileSync(file('truncated.vhd'), footer);
    await assert.rejects(
      validateFixedVhd(file('truncated.vhd')),
      rejectsWith('Truncated', /the file is truncated/),
    );

    // qemu-img cannot create VHD differencing disks; mark a qemu-made dynamic disk as one (type 4, fixed checksum).
    const bytes = fs.readFileSync(file('dynamic.vhd'));
    for (const at of [0, bytes.length - 512]) {
      bytes.writeUInt32BE(4, at + 60);
      let sum = 0;
      for (let i = 0; i < 512; i++) if (i < 64 || i >= 68) sum += bytes[at + i];
      bytes.writeUInt32BE(~sum >>> 0, at + 64);
    }
    fs.writeFileSync(file('diff.vhd'), bytes);
    await assert.rejects(validateFixedVhd(file('diff.vhd')), rejectsWith('Differencing', /needs its parent/));

    const small = await validateFixedVhd(file('small.vhd'));
    assert.throws(() => checkUploadSize(small.fileBytes), rejectsWith('TooSmall'));
  });

  for (const source of ['data.raw', 'dynamic.vhd', 'unaligned.vhd'] as const) {
    it(`converts ${source} in-process to an aligned fixed VHD with the same data`, async () => {
      const out = file(`${source}.fixed.vhd`);
      const progress: number[] = [];
      const result = await convertToFixedVhd(file(source), out, {
        onProgress: (p) => progress.push(p.bytesDone),
      });
      const info = await validateFixedVhd(out);
      assert.equal(info.footer.currentSize % MIB, 0);
      assert.equal(info.footer.currentSize, result.virtualBytes);
      if (source !== 'unaligned.vhd') assertKnownData(out, 24 * MIB);
      assert.ok(progress.length > 0 && progress[progress.length - 1] > 0);
      const qemu = JSON.parse(qemuImg('info', '--output=json', '-f', 'vpc', out)) as {
        'virtual-size': number;
      };
      assert.equal(qemu['virtual-size'], result.virtualBytes);
      // Zeros stay holes: far fewer bytes written than the disk holds.
      if (source !== 'unaligned.vhd') assert.ok(result.dataBytesWritten <= 5 * 4 * MIB);
    });
  }

  for (const source of ['disk.vhdx', 'disk.qcow2'] as const) {
    it(`converts ${source} through qemu-img with the same data`, async () => {
      const out = file(`${source}.fixed.vhd`);
      const result = await convertWithQemuImg(file(source), out);
      await validateFixedVhd(out);
      assert.equal(result.virtualBytes, 24 * MIB);
      assertKnownData(out, 24 * MIB);
      assert.deepEqual(
        fs.readdirSync(dir).filter((n) => n.includes('.raw-')),
        [],
        'the temporary raw copy is gone',
      );
    });
  }

  it('explains a missing qemu-img, and leaves no output behind', async () => {
    const out = file('never.vhd');
    await assert.rejects(
      convertWithQemuImg(file('disk.vhdx'), out, { qemuImg: 'qemu-img-not-installed' }),
      rejectsWith('QemuImgMissing', /install qemu-utils/),
    );
    assert.equal(fs.existsSync(out), false);
  });

  it('removes a half-written output when cancelled', async () => {
    const out = file('cancelled.vhd');
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await assert.rejects(
      convertToFixedVhd(file('data.raw'), out, { signal: controller.signal }),
      /cancelled/,
    );
    assert.equal(fs.existsSync(out), false);
  });

  it('lists only the 4 MiB ranges that hold data, always including the footer', async () => {
    const ranges = [];
    for await (const r of dataRanges(file('fixed.vhd'))) ranges.push(r);
    // Data at 0 and 0.5 MiB (chunk 0), 5 MiB (chunk 1), 13 MiB (chunk 3), 21 MiB (chunk 5); footer at 24 MiB (chunk 6).
    assert.deepEqual(
      ranges.map((r) => [r.offset / MIB, r.length]),
      [
        [0, 4 * MIB],
        [4, 4 * MIB],
        [12, 4 * MIB],
        [20, 4 * MIB],
        [24, 512],
      ],
    );
  });
});
