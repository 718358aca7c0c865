import { randomBytes } from 'node:crypto';

/*
 * The 512-byte VHD footer (Microsoft "Virtual Hard Disk Image Format Specification", v1.0), big-endian.
 * A fixed VHD is the raw disk followed by this footer; dynamic and differencing disks also keep a copy at
 * offset 0.
 */
export const FOOTER_SIZE = 512;
export const COOKIE = 'conectix';

export enum DiskType {
  Fixed = 2,
  Dynamic = 3,
  Differencing = 4,
}

export interface VhdFooter {
  cookie: string;
  features: number;
  formatVersion: number;
  /** Offset of the dynamic header; all ones (as a bigint) for fixed disks. */
  dataOffset: bigint;
  timestamp: number;
  creatorApplication: string;
  creatorVersion: number;
  creatorHostOs: number;
  originalSize: number;
  currentSize: number;
  geometry: { cylinders: number; heads: number; sectorsPerTrack: number };
  diskType: number;
  checksum: number;
  /** The checksum the bytes actually sum to; differs from `checksum` when the footer is corrupt. */
  computedChecksum: number;
  uniqueId: Buffer;
  savedState: number;
}

/** One's complement of the byte sum of the footer without its checksum field (offset 64, 4 bytes). */
export function footerChecksum(bytes: Buffer): number {
  let sum = 0;
  for (let i = 0; i < FOOTER_SIZE; i++) if (i < 64 || i >= 68) sum += bytes[i];
  return ~sum >>> 0;
}

export function parseFooter(bytes: Buffer): VhdFooter | undefined {
  if (bytes.length < FOOTER_SIZE || bytes.toString('latin1', 0, 8) !== COOKIE) return undefined;
  return {
    cookie: COOKIE,
    features: bytes.readUInt32BE(8),
    formatVersion: bytes.readUInt32BE(12),
    dataOffset: bytes.readBigUInt64BE(16),
    timestamp: bytes.readUInt32BE(24),
    creatorApplication: bytes.toString('latin1', 28, 32),
    creatorVersion: bytes.readUInt32BE(32),
    creatorHostOs: bytes.readUInt32BE(36),
    originalSize: Number(bytes.readBigUInt64BE(40)),
    currentSize: Number(bytes.readBigUInt64BE(48)),
    geometry: {
      cylinders: bytes.readUInt16BE(56),
      heads: bytes.readUInt8(58),
      sectorsPerTrack: bytes.readUInt8(59),
    },
    diskType: bytes.readUInt32BE(60),
    checksum: bytes.readUInt32BE(64),
    computedChecksum: footerChecksum(bytes),
    uniqueId: Buffer.from(bytes.subarray(68, 84)),
    savedState: bytes.readUInt8(84),
  };
}

/** CHS geometry for a size, exactly as the VHD specification's appendix computes it. */
export function chsGeometry(sizeBytes: number): {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
} {
  let totalSectors = Math.floor(sizeBytes / 512);
  if (totalSectors > 65535 * 16 * 255) totalSectors = 65535 * 16 * 255;
  let sectorsPerTrack: number;
  let heads: number;
  let cylinderTimesHeads: number;
  if (totalSectors >= 65535 * 16 * 63) {
    sectorsPerTrack = 255;
    heads = 16;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    heads = Math.max(4, Math.floor((cylinderTimesHeads + 1023) / 1024));
    if (cylinderTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
    if (cylinderTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
  }
  return { cylinders: Math.min(65535, Math.floor(cylinderTimesHeads / heads)), heads, sectorsPerTrack };
}

/** A fixed-disk footer for a disk of exactly `sizeBytes` (its current size field is the size Azure checks). */
export function buildFixedFooter(sizeBytes: number, now = new Date()): Buffer {
  const b = Buffer.alloc(FOOTER_SIZE);
  b.write(COOKIE, 0, 'latin1');
  b.writeUInt32BE(2, 8); // features: reserved bit always set
  b.writeUInt32BE(0x00010000, 12);
  b.writeBigUInt64BE(0xffffffffffffffffn, 16);
  b.writeUInt32BE(Math.max(0, Math.floor((now.getTime() - Date.UTC(2000, 0, 1)) / 1000)), 24);
  // Readers such as qemu trust the current-size field only for Hyper-V's creator tag ('win '); for any other
  // they size the disk from CHS geometry, which rounds down. Writing what Hyper-V writes makes every reader
  // see the size Azure sees.
  b.write('win ', 28, 'latin1');
  b.writeUInt32BE(0x00010000, 32);
  b.writeUInt32BE(0x5769326b, 36); // 'Wi2k', what Hyper-V writes and Azure expects to see
  b.writeBigUInt64BE(BigInt(sizeBytes), 40);
  b.writeBigUInt64BE(BigInt(sizeBytes), 48);
  const g = chsGeometry(sizeBytes);
  b.writeUInt16BE(g.cylinders, 56);
  b.writeUInt8(g.heads, 58);
  b.writeUInt8(g.sectorsPerTrack, 59);
  b.writeUInt32BE(DiskType.Fixed, 60);
  randomBytes(16).copy(b, 68);
  b.writeUInt32BE(footerChecksum(b), 64);
  return b;
}
