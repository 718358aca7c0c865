import * as fs from 'node:fs/promises';
import { AnonymousCredential, PageBlobClient, type StoragePipelineOptions } from '@azure/storage-blob';

export interface DownloadResult {
  fileBytes: number;
  bytesDownloaded: number;
  durationMs: number;
}

const PIECE = 4 * 1024 * 1024;

/**
 * Page blob (a VHD) → local file, sparse: the file is sized first and only the page ranges the blob holds are
 * fetched and written, so a 127 GiB disk with 3 GiB of data costs 3 GiB of transfer and of disk.
 */
export async function downloadPageBlobToFile(
  sasUrl: string,
  filePath: string,
  options: {
    abortSignal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
    clientOptions?: StoragePipelineOptions;
  } = {},
): Promise<DownloadResult> {
  const started = Date.now();
  const client = new PageBlobClient(sasUrl, new AnonymousCredential(), options.clientOptions);
  const { contentLength = 0 } = await client.getProperties({ abortSignal: options.abortSignal });
  const ranges: { offset: number; count: number }[] = [];
  for await (const page of client
    .listPageRanges(undefined, undefined, { abortSignal: options.abortSignal })
    .byPage()) {
    for (const r of page.pageRange ?? []) {
      for (let offset = r.start; offset <= r.end; offset += PIECE)
        ranges.push({ offset, count: Math.min(PIECE, r.end + 1 - offset) });
    }
  }
  const total = ranges.reduce((n, r) => n + r.count, 0);
  const handle = await fs.open(filePath, 'w');
  let done = 0;
  let ok = false;
  try {
    await handle.truncate(contentLength);
    for (const r of ranges) {
      const data = await client.downloadToBuffer(r.offset, r.count, { abortSignal: options.abortSignal });
      await handle.write(data, 0, data.length, r.offset);
      done += r.count;
      options.onProgress?.(done, total);
    }
    ok = true;
  } finally {
    await handle.close();
    if (!ok) await fs.rm(filePath, { force: true });
  }
  return { fileBytes: contentLength, bytesDownloaded: done, durationMs: Date.now() - started };
}
