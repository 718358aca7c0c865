/*
 * The dynamic disk header ("cxsparse", 1024 bytes at the footer's data offset) and its Block Allocation
 * Table: one big-endian sector offset per block, all ones for a block never written (reads as zeros).
 */
export const DYNAMIC_HEADER_SIZE = 1024;
export const UNALLOCATED = 0xffffffff;

export interface DynamicHeader {
  tableOffset: number;
  maxTableEntries: number;
  blockSize: number;
  checksum: number;
  computedChecksum: number;
}

export function parseDynamicHeader(bytes: Buffer): DynamicHeader | undefined {
  if (bytes.length < DYNAMIC_HEADER_SIZE || bytes.toString('latin1', 0, 8) !== 'cxsparse') return undefined;
  let sum = 0;
  for (let i = 0; i < DYNAMIC_HEADER_SIZE; i++) if (i < 36 || i >= 40) sum += bytes[i];
  return {
    tableOffset: Number(bytes.readBigUInt64BE(16)),
    maxTableEntries: bytes.readUInt32BE(28),
    blockSize: bytes.readUInt32BE(32),
    checksum: bytes.readUInt32BE(36),
    computedChecksum: ~sum >>> 0,
  };
}

/** Bytes of the sector bitmap in front of each block's data, padded to whole sectors. */
export function blockBitmapBytes(blockSize: number): number {
  return Math.ceil(blockSize / 512 / 8 / 512) * 512;
}

export function parseBlockAllocationTable(bytes: Buffer, entries: number): number[] {
  const table: number[] = [];
  for (let i = 0; i < entries; i++) table.push(bytes.readUInt32BE(i * 4));
  return table;
}
