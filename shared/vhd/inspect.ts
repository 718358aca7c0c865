import * as fs from 'node:fs/promises';
import { COOKIE, DiskType, FOOTER_SIZE, parseFooter, type VhdFooter } from './footer';
import { checkFixedFooter } from './fixedFooter';
import { VhdError } from './vhdError';

export type ImageFormat = 'vhd-fixed' | 'vhd-dynamic' | 'vhd-differencing' | 'vhdx' | 'qcow2' | 'raw';

export interface ImageFileInfo {
  path: string;
  format: ImageFormat;
  fileBytes: number;
  /** The disk size a VM sees (from the footer for VHD; the file size for raw; undefined where unknown). */
  virtualBytes?: number;
  footer?: VhdFooter;
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** How far from the end a displaced footer is looked for: a cut or padded VHD moves it by a few bytes or sectors. */
const DAMAGE_SCAN_BYTES = 1024 * 1024;

/**
 * A file with no footer in its last 512 bytes but a VHD footer (cookie, features, format version) elsewhere in its
 * tail is a VHD that was cut short or padded, not a raw disk: converting it would keep the old footer's remains as
 * disk data. Refused, saying where the footer was found.
 */
async function refuseDamagedVhd(handle: fs.FileHandle, path: string, size: number): Promise<void> {
  const start = Math.max(0, size - DAMAGE_SCAN_BYTES);
  const tail = await readAt(handle, start, size - start);
  // Cookie, then features (always 2: reserved bit set) and file format version 1.0, as every VHD footer has.
  const signature = Buffer.concat([Buffer.from(COOKIE, 'latin1'), Buffer.from([0, 0, 0, 2, 0, 1, 0, 0])]);
  const at = tail.lastIndexOf(signature);
  if (at < 0) return;
  const offset = start + at;
  const distance = size - FOOTER_SIZE - offset;
  throw new VhdError(
    'Damaged',
    `'${path}' is a damaged VHD: its footer (cookie '${COOKIE}') is at byte ${offset}, ${Math.abs(distance)} bytes ${distance > 0 ? 'before' : 'after'} where it belongs (the last 512 bytes); the file was ${distance > 0 ? 'padded or appended to' : 'cut short'}. Copy the VHD again from its source; it is not converted as a raw disk`,
  );
}

/** What kind of image a file is, from its signatures (never from its extension). */
export async function inspectImageFile(path: string): Promise<ImageFileInfo> {
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = await readAt(handle, 0, 512);
    if (head.toString('latin1', 0, 8) === 'vhdxfile') return { path, format: 'vhdx', fileBytes: size };
    if (head.length >= 4 && head.readUInt32BE(0) === 0x514649fb)
      return { path, format: 'qcow2', fileBytes: size };
    const tail =
      size >= FOOTER_SIZE ? await readAt(handle, size - FOOTER_SIZE, FOOTER_SIZE) : Buffer.alloc(0);
    // Dynamic disks keep a footer copy at offset 0; a truncated one may have lost the one at the end.
    const footer = parseFooter(tail) ?? parseFooter(head);
    if (!footer) {
      await refuseDamagedVhd(handle, path, size);
      return { path, format: 'raw', fileBytes: size, virtualBytes: size };
    }
    const format: ImageFormat =
      footer.diskType === DiskType.Fixed
        ? 'vhd-fixed'
        : footer.diskType === DiskType.Dynamic
          ? 'vhd-dynamic'
          : 'vhd-differencing';
    return { path, format, fileBytes: size, virtualBytes: footer.currentSize, footer };
  } finally {
    await handle.close();
  }
}

/**
 * Everything Azure will refuse in a VHD meant for direct upload, reported before any disk exists: not a VHD,
 * dynamic or differencing, bad checksum, truncated, or a virtual size that is not a whole number of MiB.
 */
export async function validateFixedVhd(path: string): Promise<ImageFileInfo & { footer: VhdFooter }> {
  const info = await inspectImageFile(path);
  const name = `'${path}'`;
  switch (info.format) {
    case 'vhdx':
      throw new VhdError(
        'UnsupportedFormat',
        `${name} is a VHDX; Azure takes fixed VHD only: turn conversion on (needs qemu-img on the agent)`,
      );
    case 'qcow2':
      throw new VhdError(
        'UnsupportedFormat',
        `${name} is a qcow2 image; Azure takes fixed VHD only: turn conversion on (needs qemu-img on the agent)`,
      );
    case 'raw':
      throw new VhdError(
        'NotVhd',
        `${name} is not a VHD: its last 512 bytes are not a VHD footer (cookie 'conectix'); a raw disk image can be converted with conversion on`,
      );
    case 'vhd-dynamic':
      throw new VhdError(
        'Dynamic',
        `${name} is a dynamic VHD; Azure takes fixed VHD only: turn conversion on, or convert it with qemu-img convert -O vpc -o subformat=fixed,force_size=on`,
      );
    case 'vhd-differencing':
      throw new VhdError(
        'Differencing',
        `${name} is a differencing VHD that needs its parent; merge it into its parent and upload a fixed VHD`,
      );
  }
  const footer = info.footer!;
  checkFixedFooter(name, footer, info.fileBytes);
  return { ...info, footer };
}
