import * as fs from 'node:fs/promises';

export interface ByteRange {
  offset: number;
  length: number;
}

const FOUR_MIB = 4 * 1024 * 1024;

/**
 * The aligned ranges of a file that hold non-zero bytes, read in one streaming pass with constant memory. A
 * 4 MiB alignment matches Azure's largest Put Page, so each range is one request; zero ranges are never sent
 * (a fresh page blob reads as zeros). The last chunk holds a VHD's footer and is always non-zero.
 */
export async function* dataRanges(
  path: string,
  options: { alignBytes?: number; maxRangeBytes?: number; signal?: AbortSignal } = {},
): AsyncGenerator<ByteRange> {
  const align = options.alignBytes ?? FOUR_MIB;
  const maxRange = Math.max(align, options.maxRangeBytes ?? FOUR_MIB);
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(align);
    const zeros = Buffer.alloc(align);
    let pending: ByteRange | undefined;
    for (let offset = 0; offset < size; offset += align) {
      options.signal?.throwIfAborted();
      const length = Math.min(align, size - offset);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      const chunk = buffer.subarray(0, bytesRead);
      const empty = chunk.equals(zeros.subarray(0, bytesRead));
      if (empty) {
        if (pending) yield pending;
        pending = undefined;
      } else if (
        pending &&
        pending.offset + pending.length === offset &&
        pending.length + length <= maxRange
      ) {
        pending.length += length;
      } else {
        if (pending) yield pending;
        pending = { offset, length };
      }
    }
    if (pending) yield pending;
  } finally {
    await handle.close();
  }
}
