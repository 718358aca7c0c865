// One measurement of `npm run bench`, in a process of its own as a pipeline task runs: the process holds only what
// the tool being measured needs (the bench's own buffers made every child process the uploader starts slower to
// fork, and their garbage weighed on whoever ran next). Uploads once untimed into `warmup`, then once timed into
// `measured`, and prints the timed seconds as JSON on its last line.
//   tsx bench/measureUpload.ts <ours|ceiling> <file> <warmup SAS URL> <measured SAS URL>
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { AnonymousCredential, PageBlobClient } from '@azure/storage-blob';
import { uploadFileToPageBlob } from '../shared/blobs/pageUpload';
import { dataRanges } from '../shared/vhd/dataRanges';

type Preloaded = { offset: number; data: Buffer }[];

/** The file's data ranges read into memory once, outside any timing. */
async function preload(file: string): Promise<Preloaded> {
  const fd = fs.openSync(file, 'r');
  const out: Preloaded = [];
  for await (const r of dataRanges(file)) {
    const data = Buffer.allocUnsafe(r.length);
    fs.readSync(fd, data, 0, r.length, r.offset);
    out.push({ offset: r.offset, data });
  }
  fs.closeSync(fd);
  return out;
}

/**
 * The ceiling: a bare Put Page loop over the same ranges from memory, 8 at a time, each with a Content-MD5
 * computed in the loop (the uploader cannot have it beforehand either), through a client built exactly as the
 * uploader builds its own (SAS URL, anonymous credential, default pipeline: same retry policy, same keep-alive
 * agent). No scan, no file reads, no retries of its own, no verification.
 */
async function ceiling(url: string, ranges: Preloaded): Promise<void> {
  const client = new PageBlobClient(url, new AnonymousCredential());
  let next = 0;
  const worker = async () => {
    while (next < ranges.length) {
      const { offset, data } = ranges[next++];
      const md5 = createHash('md5').update(data).digest();
      await client.uploadPages(data, offset, data.length, { transactionalContentMD5: md5 });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function main(): Promise<void> {
  const [who, file, warmup, measured] = process.argv.slice(2);
  const ranges = who === 'ceiling' ? await preload(file) : [];
  const upload = (url: string) =>
    who === 'ceiling' ? ceiling(url, ranges) : uploadFileToPageBlob(url, file, { concurrency: 8 });
  await upload(warmup);
  const started = process.hrtime.bigint();
  await upload(measured);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ seconds }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
