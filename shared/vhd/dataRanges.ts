import { constants as fsConstants, readSync } from 'node:fs';
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
 * for one or see an address: each buffer is over-allocated by a page and, when the kernel refuses a read (EINVAL),
 * the next offset into it is tried; a large allocation never moves, so the offset found holds for the buffer's life.
 * Buffers come from the same allocator, so the offset found for one is tried first for the next.
 */
class ScanReader {
  /** Where in each buffer reads land (undefined: not allocated yet). */
  private readonly slots: ({ raw: Buffer; shift: number } | undefined)[];
  private lastShift = 0;
  private constructor(
    private handle: fs.FileHandle,
    private direct: boolean,
    private readonly path: string,
    private readonly bytes: number,
    slots: number,
  ) {
    this.slots = Array.from({ length: slots }, () => undefined);
  }

  static async open(path: string, bytes: number, slots = 1): Promise<ScanReader> {
    const direct = (fsConstants as { O_DIRECT?: number }).O_DIRECT;
    const handle = direct
      ? await fs.open(path, fsConstants.O_RDONLY | direct).catch(() => undefined)
      : undefined;
    return handle
      ? new ScanReader(handle, true, path, bytes, slots)
      : new ScanReader(await fs.open(path, 'r'), false, path, bytes, slots);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  /**
   * Buffer `slot`, allocated on first use: a page more than a chunk, in shared memory so that a worker thread can
   * hash what was read without a copy. On first use rather than all up front: a file with little data needs few
   * buffers, and zeroing them (shared memory always is) no longer comes before the first read.
   */
  private slot(index: number): { raw: Buffer; shift: number } {
    return (this.slots[index] ??= {
      raw: Buffer.from(new SharedArrayBuffer(this.bytes + PAGE)),
      shift: this.lastShift,
    });
  }

  /** Reads `length` bytes at `offset` (a multiple of the chunk size) into buffer `slot`, overwriting it. */
  async read(offset: number, length: number, slot = 0): Promise<Buffer> {
    const buffer = this.slot(slot);
    for (let tried = 0; ;) {
      try {
        // Synchronous: an asynchronous read waits for a turn of the event loop after it completes, and while
        // uploading that loop is busy; 512 such waits for 2 GiB made the scan, not the network, the bottleneck.
        // Direct reads need whole blocks: ask for a full chunk and take what the file has.
        const at = buffer.shift;
        const bytesRead = readSync(this.handle.fd, buffer.raw, at, this.direct ? this.bytes : length, offset);
        this.lastShift = at;
        return buffer.raw.subarray(at, at + Math.min(bytesRead, length));
      } catch (e) {
        if (!this.direct || (e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        buffer.shift = (buffer.shift + 16) % PAGE;
        if (++tried >= PAGE / 16) {
          // No offset works: read through the page cache from now on.
          await this.handle.close();
          this.handle = await fs.open(this.path, 'r');
          this.direct = false;
        }
      }
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

const ZEROS = Buffer.alloc(64 * 1024);

/** Whether `b` holds only zeros, compared 64 KiB at a time: the zeros stay in cache (about twice as fast). */
function isZero(b: Buffer): boolean {
  for (let o = 0; o < b.length; o += ZEROS.length) {
    const end = Math.min(b.length, o + ZEROS.length);
    if (ZEROS.compare(b, o, end, 0, end - o) !== 0) return false;
  }
  return true;
}

/**
 * Every aligned chunk of a file in order, in one streaming pass with constant memory, with a view of its bytes
 * when they are not all zero. Without `keep` the view is only valid until the generator is resumed. With
 * `keep: n`, the file is read into n buffers and a chunk's view stays valid until its `release()` is called;
 * the scan waits for a released buffer when all n are held (which bounds how far it runs ahead).
 */
export async function* scanChunks(
  path: string,
  options: {
    alignBytes?: number;
    signal?: AbortSignal;
    keep?: number;
    /**
     * Where the file has bytes at all (see allocation.ts): once known, chunks outside them are holes, yielded
     * unread. Until the promise settles (or when it gives nothing) every chunk is read, so the scan need not wait.
     */
    extents?: Promise<ByteRange[] | undefined>;
  } = {},
): AsyncGenerator<ByteRange & { data?: Buffer; release?: () => void }> {
  const align = options.alignBytes ?? FOUR_MIB;
  const slots = Math.max(1, options.keep ?? 1);
  let extents: ByteRange[] | undefined;
  void options.extents?.then(
    (found) => (extents = found),
    () => undefined,
  );
  const reader = await ScanReader.open(path, align, slots);
  let nextExtent = 0;
  /** Whether [offset, end) touches an allocated extent; offsets only grow, so the extents are walked once. */
  const allocated = (offset: number, end: number): boolean => {
    if (!extents) return true;
    while (nextExtent < extents.length && extents[nextExtent].offset + extents[nextExtent].length <= offset)
      nextExtent++;
    return nextExtent < extents.length && extents[nextExtent].offset < end;
  };
  const free = Array.from({ length: slots }, (_, i) => i);
  let waiting: (() => void) | undefined;
  const release = (slot: number) => {
    free.push(slot);
    waiting?.();
    waiting = undefined;
  };
  try {
    const size = await reader.size();
    let readData = false;
    for (let offset = 0; offset < size; offset += align) {
      // Reads are synchronous: after each read of data, and every 16 chunks otherwise, let finished requests,
      // hashes, timers and aborts in before reading on (a data read can block for milliseconds).
      if (readData || (offset / align) % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
      readData = false;
      options.signal?.throwIfAborted();
      if (!allocated(offset, Math.min(offset + align, size))) {
        yield { offset, length: Math.min(align, size - offset) };
        continue;
      }
      while (!free.length) await new Promise<void>((resolve) => (waiting = resolve));
      const slot = free.pop()!;
      const chunk = await reader.read(offset, Math.min(align, size - offset), slot);
      const zero = isZero(chunk);
      readData = !zero;
      if (zero || !options.keep) {
        free.push(slot); // read into again next time (without `keep`, after the caller resumes the scan)
        yield zero ? { offset, length: chunk.length } : { offset, length: chunk.length, data: chunk };
      } else {
        let released = false;
        const done = () => {
          if (!released) release(slot);
          released = true;
        };
        yield { offset, length: chunk.length, data: chunk, release: done };
      }
    }
  } finally {
    await reader.close();
  }
}

/**
 * The aligned ranges of a file that hold non-zero bytes. A 4 MiB alignment matches Azure's largest Put Page, so
 * each range is one request; zero ranges are never sent (a fresh page blob reads as zeros). The last chunk holds
 * a VHD's footer and is always non-zero.
 */
export async function* dataRanges(
  path: string,
  options: { alignBytes?: number; maxRangeBytes?: number; signal?: AbortSignal } = {},
): AsyncGenerator<ByteRange> {
  const align = options.alignBytes ?? FOUR_MIB;
  const maxRange = Math.max(align, options.maxRangeBytes ?? FOUR_MIB);
  let pending: ByteRange | undefined;
  for await (const { offset, length, data } of scanChunks(path, options)) {
    if (!data) {
      if (pending) yield pending;
      pending = undefined;
    } else if (pending && pending.offset + pending.length === offset && pending.length + length <= maxRange) {
      pending.length += length;
    } else {
      if (pending) yield pending;
      pending = { offset, length };
    }
  }
  if (pending) yield pending;
}
