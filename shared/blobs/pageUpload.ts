import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { AnonymousCredential, PageBlobClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { Logger } from '../azure/logger';
import { redactText } from '../azure/redact';
import { dataRanges, type ByteRange } from '../vhd/dataRanges';

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
   * Read every sent range back and compare SHA-256 digests. Off by default: each Put Page already carries a
   * Content-MD5 the service checks, and the page ranges are compared; reading back doubles the traffic.
   */
  verifyByReadBack?: boolean;
  /** Storage client options (retry, TLS trust for tests). */
  clientOptions?: StoragePipelineOptions;
}

export interface PageUploadResult {
  bytesSent: number;
  rangesSent: number;
  rangesUnchanged: number;
  bytesSkippedZero: number;
  fileBytes: number;
  durationMs: number;
  /** SHA-256 over the data ranges of the file as sent (and, with verifyByReadBack, as read back). */
  sha256: string;
}

async function readRange(handle: fs.FileHandle, range: ByteRange): Promise<Buffer> {
  const buffer = Buffer.alloc(range.length);
  await handle.read(buffer, 0, range.length, range.offset);
  return buffer;
}

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
  const handle = await fs.open(filePath, 'r');
  try {
    const { size: fileBytes } = await handle.stat();
    const ranges: ByteRange[] = [];
    for await (const r of dataRanges(filePath, { signal })) ranges.push(r);
    const properties = await client.getProperties({ abortSignal: signal });
    if (properties.contentLength !== fileBytes) {
      throw new Error(
        `the page blob is ${properties.contentLength} bytes but the file is ${fileBytes}: they must be the same size`,
      );
    }
    // SHA-256 of each data range as read from the file, computed once while it is sent or compared.
    const digests = new Map<number, string>();
    let toSend = ranges;
    let rangesUnchanged = 0;
    if (options.resume) {
      const existing = await listPageRanges(client, signal);
      const pending: ByteRange[] = [];
      for (const r of ranges) {
        const covered = existing.some(
          (e) => e.offset <= r.offset && e.offset + e.length >= r.offset + r.length,
        );
        if (covered && (await rangeMatches(client, handle, r, digests, signal))) rangesUnchanged++;
        else pending.push(r);
      }
      // Pages the blob holds that are zero in the file (an earlier, different upload) must be cleared.
      for (const stale of subtractRanges(existing, ranges))
        await client.clearPages(stale.offset, stale.length, { abortSignal: signal });
      toSend = pending;
    }
    const bytesToSend = toSend.reduce((n, r) => n + r.length, 0);
    let bytesSent = 0;
    let rangesDone = 0;
    const report = () =>
      options.onProgress?.({ bytesSent, bytesToSend, rangesDone, rangesTotal: toSend.length });
    report();
    let next = 0;
    const worker = async () => {
      while (next < toSend.length) {
        signal?.throwIfAborted();
        const range = toSend[next++];
        const data = await readRange(handle, range);
        const md5 = createHash('md5').update(data).digest();
        digests.set(range.offset, sha256(data));
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
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency ?? 8, Math.max(1, toSend.length)) }, worker),
    );
    const digest = await verifyUpload(client, ranges, digests, options.verifyByReadBack === true, signal);
    return {
      bytesSent,
      rangesSent: toSend.length,
      rangesUnchanged,
      bytesSkippedZero: fileBytes - ranges.reduce((n, r) => n + r.length, 0),
      fileBytes,
      durationMs: Date.now() - started,
      sha256: digest,
    };
  } finally {
    await handle.close();
  }
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
  handle: fs.FileHandle,
  range: ByteRange,
  digests: Map<number, string>,
  signal?: AbortSignal,
): Promise<boolean> {
  const remote = await client.downloadToBuffer(range.offset, range.length, { abortSignal: signal });
  const local = await readRange(handle, range);
  digests.set(range.offset, sha256(local));
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
      const remote = sha256(await client.downloadToBuffer(r.offset, r.length, { abortSignal: signal }));
      if (remote !== digest) {
        throw new Error(
          `upload verification failed: bytes ${r.offset}-${r.offset + r.length - 1} in the blob differ from the file`,
        );
      }
    }
  }
  return overall.digest('hex');
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
