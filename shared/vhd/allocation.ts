import { runChild } from '../system/childProcess';
import type { ByteRange } from './dataRanges';

interface MapEntry {
  start: number;
  length: number;
  zero?: boolean;
  data?: boolean;
}

/**
 * Where a file's bytes are allocated, from the file system itself: `qemu-img map` asks it (SEEK_DATA/SEEK_HOLE)
 * in milliseconds, where reading a 2 GiB mostly-empty disk to find its holes costs the kernel a zero-fill and us a
 * compare of every byte. Holes read as zeros, so nothing outside these extents needs reading or sending; inside
 * them zeros are still possible and are still checked. Undefined when qemu-img is missing or fails: the caller
 * then reads everything, as before.
 */
export async function allocatedExtents(
  filePath: string,
  options: { qemuImg?: string; signal?: AbortSignal } = {},
): Promise<ByteRange[] | undefined> {
  try {
    const result = await runChild(
      options.qemuImg ?? 'qemu-img',
      ['map', '--output=json', '-f', 'raw', filePath],
      { signal: options.signal, stopSignal: 'SIGTERM' },
    );
    if (result.exitCode !== 0) return undefined;
    const entries = JSON.parse(result.stdout) as MapEntry[];
    if (!Array.isArray(entries)) return undefined;
    return entries
      .filter((e) => !(e.zero === true && e.data === false))
      .map((e) => ({ offset: e.start, length: e.length }));
  } catch (e) {
    if (options.signal?.aborted) throw e;
    return undefined;
  }
}
