import { execFileSync } from 'node:child_process';
import { requireTool } from '../../harness/systemTools';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The suites built on qemu-img images skip with a reason (and are named at the end of the run) without it. */
export function requireQemuImg(suite: Mocha.Context): void {
  requireTool(suite, 'qemu-img');
}

export function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8' });
}

/** Known, recognisable data at scattered offsets: each block is its offset repeated. */
export const DATA_OFFSETS = [
  0,
  512 * 1024,
  5 * 1024 * 1024 + 4096,
  13 * 1024 * 1024 - 4096,
  21 * 1024 * 1024,
];

export function writeKnownData(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    for (const offset of DATA_OFFSETS) {
      const block = Buffer.alloc(8192, 0);
      for (let i = 0; i + 8 <= block.length; i += 8) block.writeBigUInt64BE(BigInt(offset + i), i);
      fs.writeSync(fd, block, 0, block.length, offset);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The first `bytes` of a disk's data area equal the known data and zeros elsewhere. */
export function assertKnownData(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(1024 * 1024);
    for (let offset = 0; offset < bytes; offset += buffer.length) {
      const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, bytes - offset), offset);
      for (let i = 0; i < n; i += 8) {
        const at = offset + i;
        const inData = DATA_OFFSETS.some((o) => at >= o && at < o + 8192);
        const expected = inData ? BigInt(at) : 0n;
        const actual = buffer.readBigUInt64BE(i);
        if (actual !== expected)
          throw new Error(`${path.basename(file)}: byte ${at} holds ${actual}, expected ${expected}`);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The images the VHD, upload and ConvertDisk tests share, all made by qemu-img from one raw disk holding the
 * known data: fixed (whole MiB), dynamic, unaligned fixed (CHS-rounded), small (10 MiB), VHDX and qcow2.
 */
export function makeTestImages(prefix: string): { dir: string; file: (name: string) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = (name: string) => path.join(dir, name);
  qemuImg('create', '-q', '-f', 'raw', file('data.raw'), '24M');
  writeKnownData(file('data.raw'));
  const fromRaw = (format: string, options: string[], out: string) =>
    qemuImg('convert', '-f', 'raw', '-O', format, ...options, file('data.raw'), file(out));
  fromRaw('vpc', ['-o', 'subformat=fixed,force_size=on'], 'fixed.vhd');
  fromRaw('vpc', ['-o', 'subformat=dynamic'], 'dynamic.vhd');
  fromRaw('vhdx', [], 'disk.vhdx');
  fromRaw('qcow2', [], 'disk.qcow2');
  qemuImg('create', '-q', '-f', 'vpc', '-o', 'subformat=fixed', file('unaligned.vhd'), '25M');
  qemuImg('create', '-q', '-f', 'vpc', '-o', 'subformat=fixed,force_size=on', file('small.vhd'), '10M');
  return { dir, file };
}
