import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';

export interface ByteRange {
  offset: number;
  length: number;
}

const FOUR_MIB = 4 * 1024 * 1024;

const PAGE = 4096;

/**
 * Reads for the scan with O_DIRECT where the platform and file system allow it: reading a sparse file's holes
 * through the page cache makes the kernel allocate and zero a cache page for every 4 KiB of hole (16 GiB of
 * mostly-empty disk took 30-40 s here, cold), while a direct read of a hole costs almost nothing (1 s).
 * A direct read of real data needs a memory buffer aligned to the device's block size, and JavaScript cannot ask
 * for one or see an address: the buffer is over-allocated and, when the kernel refuses a read (EINVAL), the next
 * offset into it is tried, up to a page; a large allocation never moves, so the offset found holds for the rest.
 * Holes are read without that check, so alignment can only be learnt on the first chunk that holds data.
 */
class ScanReader {
  private shift = 0;
  private constructor(
    private handle: fs.FileHandle,
    private direct: boolean,
    private readonly raw: Buffer,
    private readonly path: string,
    private readonly bytes: number,
  ) {}

  static async open(path: string, bytes: number): Promise<ScanReader> {
    const direct = (fsConstants as { O_DIRECT?: number }).O_DIRECT;
    const handle = direct
      ? await fs.open(path, fsConstants.O_RDONLY | direct).catch(() => undefined)
      : undefined;
    return handle
      ? new ScanReader(handle, true, Buffer.alloc(bytes + PAGE), path, bytes)
      : new ScanReader(await fs.open(path, 'r'), false, Buffer.alloc(bytes + PAGE), path, bytes);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  /** Reads `length` bytes at `offset` (a multiple of the chunk size); the view is valid until the next read. */
  async read(offset: number, length: number): Promise<Buffer> {
    for (;;) {
      try {
        // Direct reads need whole blocks: ask for a full chunk and take what the file has.
        const { bytesRead } = await this.handle.read(
          this.raw,
          this.shift,
          this.direct ? this.bytes : length,
          offset,
        );
        return this.raw.subarray(this.shift, this.shift + Math.min(bytesRead, length));
      } catch (e) {
        if (!this.direct || (e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        this.shift += 16;
        if (this.shift >= PAGE) {
          await this.handle.close();
          this.handle = await fs.open(this.path, 'r');
          this.direct = false;
          this.shift = 0;
        }
      }
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

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
  const reader = await ScanReader.open(path, align);
  try {
    const size = await reader.size();
    const zeros = Buffer.alloc(align);
    let pending: ByteRange | undefined;
    for (let offset = 0; offset < size; offset += align) {
      options.signal?.throwIfAborted();
      const length = Math.min(align, size - offset);
      const chunk = await reader.read(offset, length);
      const empty = chunk.equals(zeros.subarray(0, chunk.length));
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
    await reader.close();
  }
}
