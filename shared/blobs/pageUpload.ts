import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { AnonymousCredential, PageBlobClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { Logger } from '../azure/logger';
import { redactText } from '../azure/redact';
import { allocatedExtents } from '../vhd/allocation';
import { scanChunks, type ByteRange } from '../vhd/dataRanges';

export interface PageUploadProgress {
  bytesSent: number;
  bytesToSend: number;
  rangesDone: number;
  rangesTotal: number;
}

export interface PageUploadOptions {
  /** Put Page requests in flight at once. */
  concurrency?: number;
  /** Attempts per range on top of the SDK's own retries. */
  maxAttempts?: number;
  /** Compare with what the blob already holds and send only ranges that differ (an interrupted upload). */
  resume?: boolean;
  abortSignal?: AbortSignal;
  onProgress?: (p: PageUploadProgress) => void;
  logger?: Logger;
  /**
   * Read every sent range back and compare its MD5 with the one sent. Off by default: each Put Page already
   * carries a Content-MD5 the service checks, and the page ranges are compared; reading back doubles the traffic.
   */
  verifyByReadBack?: boolean;
  /** Storage client options (retry, TLS trust for tests). */
  clientOptions?: StoragePipelineOptions;
  /** Ask the file system where the data is (`qemu-img map`) instead of reading the holes (default true). */
  allocationMap?: boolean;
}

export interface PageUploadResult {
  bytesSent: number;
  rangesSent: number;
  rangesUnchanged: number;
  bytesSkippedZero: number;
  fileBytes: number;
  durationMs: number;
  /**
   * SHA-256 over the per-range MD5s of the file's data ranges in order (the digests sent as Content-MD5, and with
   * verifyByReadBack also read back): two uploads of the same file give the same value.
   */
  sha256: string;
}

const MD5_WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', ({ id, memory, offset, length }) => {
  parentPort.postMessage({ id, md5: createHash('md5').update(new Uint8Array(memory, offset, length)).digest() });
});`;
let md5Worker: { worker: Worker; pending: Map<number, (md5: Buffer) => void>; next: number } | undefined;

/** MD5 of a buffer in shared memory, computed on a worker thread (the main thread scans and sends meanwhile). */
function md5Of(data: Buffer): Promise<Buffer> {
  if (!(data.buffer instanceof SharedArrayBuffer))
    return Promise.resolve(createHash('md5').update(data).digest());
  if (!md5Worker) {
    const worker = new Worker(MD5_WORKER_SOURCE, { eval: true });
    const pending = new Map<number, (md5: Buffer) => void>();
    worker.on('message', ({ id, md5 }: { id: number; md5: Uint8Array }) => {
      pending.get(id)!(Buffer.from(md5));
      pending.delete(id);
      if (!pending.size) worker.unref();
    });
    md5Worker = { worker, pending, next: 0 };
  }
  const w = md5Worker;
  const id = w.next++;
  w.worker.ref();
  return new Promise((resolve) => {
    w.pending.set(id, resolve);
    w.worker.postMessage({ id, memory: data.buffer, offset: data.byteOffset, length: data.length });
  });
}

/** The per-range digest kept for the result and read-back: the Content-MD5 already computed for the request. */
const rangeDigest = (data: Buffer, md5?: Buffer) =>
  (md5 ?? createHash('md5').update(data).digest()).toString('hex');

async function withAttempts<T>(
  what: string,
  attempts: number,
  signal: AbortSignal | undefined,
  logger: Logger | undefined,
  work: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (signal?.aborted || attempt >= attempts) throw e;
      logger?.warn(
        `${what} failed (attempt ${attempt} of ${attempts}), retrying: ${redactText((e as Error).message)}`,
      );
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

/** Merges touching ranges, as the service reports written pages. */
export function mergeRanges(ranges: ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.offset - b.offset);
  const merged: ByteRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.offset + last.length >= r.offset)
      last.length = Math.max(last.length, r.offset + r.length - last.offset);
    else merged.push({ ...r });
  }
  return merged;
}

/**
 * Uploads a fixed VHD into a page blob through its SAS URL, sending only the 4 MiB-aligned ranges that hold
 * data (a new page blob reads as zeros), several at a time, each with a Content-MD5 the service checks, each
 * retried on failure. At the end the blob's page ranges must equal the ranges sent (a silent short write cannot
 * pass) and, when asked, a SHA-256 of the ranges read back must equal the file's.
 */
export async function uploadFileToPageBlob(
  sasUrl: string,
  filePath: string,
  options: PageUploadOptions = {},
): Promise<PageUploadResult> {
  const started = Date.now();
  const signal = options.abortSignal;
  // The SAS in the URL is the credential.
  const client = new PageBlobClient(sasUrl, new AnonymousCredential(), options.clientOptions);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const { size: fileBytes } = await fs.stat(filePath);
  // The blob's size and, to resume, what it holds: asked now and awaited by the first send, so the round trip
  // overlaps the first reads and hashes instead of coming before them.
  const blobReady = (async () => {
    const [properties, held] = await Promise.all([
      client.getProperties({ abortSignal: signal }),
      options.resume ? listPageRanges(client, signal) : [],
    ]);
    if (properties.contentLength !== fileBytes) {
      throw new Error(
        `the page blob is ${properties.contentLength} bytes but the file is ${fileBytes}: they must be the same size`,
      );
    }
    return held;
  })();
  blobReady.catch(() => undefined); // awaited by every send and at the end; this only keeps it from going unhandled
  // Where the file system keeps data: once known, the holes are neither read nor compared (the scan does not
  // wait for it; undefined: everything is read). Started once the blob request is on its way: starting a process
  // blocks this thread for milliseconds.
  const extents =
    options.allocationMap === false
      ? undefined
      : allocatedExtents(filePath, { signal }).catch(() => undefined); // an abort is seen by the scan itself
  let existing: ByteRange[] = [];
  // Digest of each data range as read from the file, computed once while it is sent or compared.
  const digests = new Map<number, string>();
  const ranges: ByteRange[] = [];
  let rangesUnchanged = 0;
  let rangesToSend = 0;
  let bytesToSend = 0;
  let bytesSent = 0;
  let rangesDone = 0;
  // The scan and the sends overlap: until the scan ends, the totals count the ranges found so far.
  const report = () =>
    options.onProgress?.({ bytesSent, bytesToSend, rangesDone, rangesTotal: rangesToSend });
  report();
  const send = async (range: ByteRange, data: Buffer, hashing: Promise<Buffer>) => {
    existing = await blobReady;
    const covered = existing.some(
      (e) => e.offset <= range.offset && e.offset + e.length >= range.offset + range.length,
    );
    if (covered && (await rangeMatches(client, data, range, digests, signal))) {
      rangesUnchanged++;
      return;
    }
    rangesToSend++;
    bytesToSend += range.length;
    const md5 = await hashing;
    digests.set(range.offset, rangeDigest(data, md5));
    await withAttempts(
      `Writing bytes ${range.offset}-${range.offset + range.length - 1}`,
      options.maxAttempts ?? 4,
      signal,
      options.logger,
      () =>
        client.uploadPages(data, range.offset, range.length, {
          transactionalContentMD5: md5,
          abortSignal: signal,
        }),
    );
    bytesSent += range.length;
    rangesDone++;
    report();
  };
  // The scan runs ahead of the requests as far as the pool allows (twice `concurrency` ranges), so a request
  // that ends finds the next range already read; at most `concurrency` requests are in flight.
  const sends: Promise<void>[] = [];
  const slotWaiters: (() => void)[] = [];
  let active = 0;
  let failure: { error: unknown } | undefined;
  const whenSlot = (): Promise<void> =>
    active < concurrency ? Promise.resolve() : new Promise((resolve) => slotWaiters.push(resolve));
  for await (const chunk of scanChunks(filePath, { signal, keep: concurrency * 2, extents })) {
    if (failure) break;
    const { data, release } = chunk;
    if (!data || !release) continue;
    const range = { offset: chunk.offset, length: chunk.length };
    ranges.push(range);
    // Hashed as soon as it is read, on the worker, so a request slot that frees finds its Content-MD5 ready.
    const hashing = md5Of(data);
    sends.push(
      (async () => {
        await whenSlot();
        active++;
        try {
          if (!failure) await send(range, data, hashing);
        } catch (error) {
          failure ??= { error };
        } finally {
          active--;
          slotWaiters.shift()?.();
          release();
        }
      })(),
    );
  }
  await Promise.all(sends);
  if (failure) throw failure.error;
  existing = await blobReady;
  // Pages the blob holds that are zero in the file (an earlier, different upload) must be cleared.
  for (const stale of subtractRanges(existing, ranges))
    await client.clearPages(stale.offset, stale.length, { abortSignal: signal });
  const digest = await verifyUpload(client, ranges, digests, options.verifyByReadBack === true, signal);
  return {
    bytesSent,
    rangesSent: rangesToSend,
    rangesUnchanged,
    bytesSkippedZero: fileBytes - ranges.reduce((n, r) => n + r.length, 0),
    fileBytes,
    durationMs: Date.now() - started,
    sha256: digest,
  };
}

async function listPageRanges(client: PageBlobClient, signal?: AbortSignal): Promise<ByteRange[]> {
  const ranges: ByteRange[] = [];
  for await (const page of client.listPageRanges(undefined, undefined, { abortSignal: signal }).byPage()) {
    for (const r of page.pageRange ?? []) ranges.push({ offset: r.start, length: r.end - r.start + 1 });
  }
  return mergeRanges(ranges);
}

async function rangeMatches(
  client: PageBlobClient,
  local: Buffer,
  range: ByteRange,
  digests: Map<number, string>,
  signal?: AbortSignal,
): Promise<boolean> {
  const remote = await client.downloadToBuffer(range.offset, range.length, { abortSignal: signal });
  digests.set(range.offset, rangeDigest(local));
  return remote.equals(local);
}

/** Parts of `ranges` not covered by `minus`. */
function subtractRanges(ranges: ByteRange[], minus: ByteRange[]): ByteRange[] {
  const result: ByteRange[] = [];
  for (const r of ranges) {
    let pieces: ByteRange[] = [{ ...r }];
    for (const m of minus) {
      pieces = pieces.flatMap((p) => {
        const end = p.offset + p.length;
        const mEnd = m.offset + m.length;
        if (mEnd <= p.offset || m.offset >= end) return [p];
        const out: ByteRange[] = [];
        if (m.offset > p.offset) out.push({ offset: p.offset, length: m.offset - p.offset });
        if (mEnd < end) out.push({ offset: mEnd, length: end - mEnd });
        return out;
      });
    }
    result.push(...pieces);
  }
  return result;
}

async function verifyUpload(
  client: PageBlobClient,
  ranges: ByteRange[],
  digests: Map<number, string>,
  readBack: boolean,
  signal?: AbortSignal,
): Promise<string> {
  const written = await listPageRanges(client, signal);
  const expected = mergeRanges(ranges);
  if (JSON.stringify(written) !== JSON.stringify(expected)) {
    throw new Error(
      `upload verification failed: the blob holds pages ${JSON.stringify(written)} but ${JSON.stringify(expected)} were sent`,
    );
  }
  const overall = createHash('sha256');
  for (const r of ranges) {
    const digest = digests.get(r.offset)!;
    overall.update(digest);
    if (readBack) {
      const remote = rangeDigest(await client.downloadToBuffer(r.offset, r.length, { abortSignal: signal }));
      if (remote !== digest) {
        throw new Error(
          `upload verification failed: bytes ${r.offset}-${r.offset + r.length - 1} in the blob differ from the file`,
        );
      }
    }
  }
  return overall.digest('hex');
}
