import * as fs from 'node:fs/promises';
import { DiskType, FOOTER_SIZE, parseFooter, type VhdFooter } from './footer';
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
    if (!footer) return { path, format: 'raw', fileBytes: size, virtualBytes: size };
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
