// npm run bench: this project's sparse page-blob uploader against azcopy, measured in the same run on the same
// Azurite, alternating, several rounds. Figures are printed last as name=value lines so runs can be compared.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { uploadFileToPageBlob } from '../shared/blobs/pageUpload';
import { buildFixedFooter } from '../shared/vhd/footer';
import { startAzurite, type AzuriteInstance } from '../test/local-azure/azurite';

const run = promisify(execFile);
const MIB = 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** A fixed VHD of `sizeMiB` with `dataFraction` of its 4 MiB chunks filled with random bytes, the rest holes. */
function makeSparseVhd(file: string, sizeMiB: number, dataFraction: number): number {
  const chunks = sizeMiB / 4;
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, sizeMiB * MIB + 512);
  const data = randomBytes(4 * MIB);
  const picked = new Set<number>();
  while (picked.size < Math.round(chunks * dataFraction)) picked.add(Math.floor(Math.random() * chunks));
  for (const chunk of picked) fs.writeSync(fd, data, 0, data.length, chunk * 4 * MIB);
  fs.writeSync(fd, buildFixedFooter(sizeMiB * MIB), 0, 512, sizeMiB * MIB);
  fs.closeSync(fd);
  return picked.size * 4 * MIB;
}

function sasUrl(azurite: AzuriteInstance, container: string, blob: string): string {
  const account = azurite.accounts[0];
  const sas = generateBlobSASQueryParameters(
    {
      containerName: container,
      blobName: blob,
      permissions: BlobSASPermissions.parse('racwd'),
      expiresOn: new Date(Date.now() + 3600_000),
    },
    new StorageSharedKeyCredential(account.name, account.key),
  ).toString();
  return `${azurite.blobEndpoint(account.name)}/${container}/${blob}?${sas}`;
}

async function ours(
  azurite: AzuriteInstance,
  service: BlobServiceClient,
  file: string,
  name: string,
): Promise<number> {
  const size = fs.statSync(file).size;
  await service.getContainerClient('bench').getPageBlobClient(name).create(size);
  const started = process.hrtime.bigint();
  await uploadFileToPageBlob(sasUrl(azurite, 'bench', name), file, { concurrency: 8 });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** azcopy as the npm package ships it, checked once: a missing library is one line naming its package. */
let checkedExe: string | undefined;
async function azcopyExe(): Promise<string> {
  if (checkedExe) return checkedExe;
  const exe = (await import('@azure-tools/azcopy-linux')).AzCopyExe as string;
  fs.chmodSync(exe, 0o755);
  try {
    await run(exe, ['--version']);
  } catch (e) {
    const text = `${(e as { stderr?: string }).stderr ?? ''} ${(e as Error).message}`;
    const library = /(lib[\w.+-]+\.so[.\d]*): cannot open shared object file/.exec(text)?.[1];
    if (library?.startsWith('libsecret'))
      throw new ToolMissing(
        'azcopy needs libsecret: install the Debian package libsecret-1-0 (apt-get install -y libsecret-1-0)',
      );
    throw new ToolMissing(`azcopy does not start (${library ?? text.trim().split('\n')[0]})`);
  }
  return (checkedExe = exe);
}

class ToolMissing extends Error {}

async function azcopy(azurite: AzuriteInstance, file: string, name: string, work: string): Promise<number> {
  const exe = await azcopyExe();
  const env = { ...process.env, AZCOPY_LOG_LOCATION: work, AZCOPY_JOB_PLAN_LOCATION: work };
  const started = process.hrtime.bigint();
  await run(
    exe,
    [
      'copy',
      file,
      sasUrl(azurite, 'bench', name),
      '--blob-type',
      'PageBlob',
      '--from-to',
      'LocalBlob',
      '--skip-version-check',
      '--output-level',
      'quiet',
    ],
    { env },
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  await azcopyExe();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const azurite = await startAzurite({ persistence: 'memory' });
  try {
    const account = azurite.accounts[0];
    const service = new BlobServiceClient(
      azurite.blobEndpoint(account.name),
      new StorageSharedKeyCredential(account.name, account.key),
    );
    await service.getContainerClient('bench').create();
    const vhd = path.join(work, 'disk-2g.vhd');
    const dataBytes = makeSparseVhd(vhd, 2048, 0.1);
    console.log(
      `2 GiB fixed VHD with ${(dataBytes / MIB).toFixed(0)} MiB of data in scattered 4 MiB chunks; ${ROUNDS} rounds, alternating`,
    );
    const oursSeconds: number[] = [];
    const azcopySeconds: number[] = [];
    // One untimed pass of each first, so neither pays alone for reading the file into the page cache.
    await ours(azurite, service, vhd, 'warmup-ours.vhd');
    await azcopy(azurite, vhd, 'warmup-azcopy.vhd', work);
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate who goes first, so neither always runs on a machine the other just warmed.
      const order = round % 2 === 1 ? ['ours', 'azcopy'] : ['azcopy', 'ours'];
      for (const who of order) {
        if (who === 'ours') oursSeconds.push(await ours(azurite, service, vhd, `ours-${round}.vhd`));
        else azcopySeconds.push(await azcopy(azurite, vhd, `azcopy-${round}.vhd`, work));
      }
      console.log(
        `round ${round}: this project ${oursSeconds[round - 1].toFixed(2)} s, azcopy ${azcopySeconds[round - 1].toFixed(2)} s`,
      );
      await service.getContainerClient('bench').deleteBlob(`ours-${round}.vhd`);
      await service.getContainerClient('bench').deleteBlob(`azcopy-${round}.vhd`);
    }
    for (const name of ['warmup-ours.vhd', 'warmup-azcopy.vhd'])
      await service.getContainerClient('bench').deleteBlob(name);
    fs.rmSync(vhd);
    const sparse = path.join(work, 'disk-16g.vhd');
    makeSparseVhd(sparse, 16 * 1024, 0.001);
    const sparseSeconds = await ours(azurite, service, sparse, 'sparse-16g.vhd');
    console.log(
      `16 GiB VHD with 16 MiB of data: ${sparseSeconds.toFixed(2)} s (time follows the data, not the disk size)`,
    );
    const diskMiB = 2048;
    const oursMibps = diskMiB / median(oursSeconds);
    const azcopyMibps = diskMiB / median(azcopySeconds);
    console.log('MiB/s counts the whole disk (2048 MiB) over the median time.');
    console.log(`upload_mibps=${oursMibps.toFixed(1)}`);
    console.log(`azcopy_mibps=${azcopyMibps.toFixed(1)}`);
    console.log(`ratio_vs_azcopy=${(oursMibps / azcopyMibps).toFixed(2)}`);
    console.log(`sparse16g_seconds=${sparseSeconds.toFixed(2)}`);
  } finally {
    await azurite.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof ToolMissing ? e.message : e);
  process.exit(1);
});
