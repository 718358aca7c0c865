// npm run bench: this project's sparse page-blob uploader against the service's ceiling (a bare Put Page loop from
// memory) and azcopy, measured in the same run, rotated, several rounds, each on a fresh Azurite of its own.
// Figures are printed last as name=value lines so runs can be compared.
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
import { buildFixedFooter } from '../shared/vhd/footer';
import { startAzurite, type AzuriteInstance } from '../test/local-azure/azurite';

const run = promisify(execFile);
const MIB = 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

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

/**
 * This project's uploader or the ceiling (a bare Put Page loop from memory), each in a process of its own
 * (measureUpload.ts): one untimed upload into a blob of its own, then the timed one.
 */
async function inProcessOfItsOwn(
  who: 'ours' | 'ceiling',
  azurite: AzuriteInstance,
  service: BlobServiceClient,
  file: string,
  name: string,
): Promise<number> {
  const size = fs.statSync(file).size;
  const urls = [];
  for (const blob of [`warmup-${name}`, name]) {
    await service.getContainerClient('bench').getPageBlobClient(blob).create(size);
    urls.push(sasUrl(azurite, 'bench', blob));
  }
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'measureUpload.ts'), who, file, ...urls],
    { maxBuffer: 1 << 20 },
  );
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number }).seconds;
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

/** A fresh Azurite with the bench container: Azurite's in-memory store slows as it fills (it frees deleted blobs
 * only every few minutes), so each round gets its own and no tool pays for another's leftovers. */
async function freshAzurite(): Promise<{ azurite: AzuriteInstance; service: BlobServiceClient }> {
  const azurite = await startAzurite({ persistence: 'memory' });
  const account = azurite.accounts[0];
  const service = new BlobServiceClient(
    azurite.blobEndpoint(account.name),
    new StorageSharedKeyCredential(account.name, account.key),
  );
  await service.getContainerClient('bench').create();
  return { azurite, service };
}

async function main(): Promise<void> {
  await azcopyExe();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    const vhd = path.join(work, 'disk-2g.vhd');
    const dataBytes = makeSparseVhd(vhd, 2048, 0.1);
    console.log(
      `2 GiB fixed VHD with ${(dataBytes / MIB).toFixed(0)} MiB of data in scattered 4 MiB chunks; ${ROUNDS} rounds, each measurement on a fresh Azurite after one untimed upload, order rotated`,
    );
    const seconds = { ours: [] as number[], ceiling: [] as number[], azcopy: [] as number[] };
    const kinds = ['ours', 'ceiling', 'azcopy'] as const;
    for (let round = 1; round <= ROUNDS; round++) {
      // Rotate who goes first, so none always runs on a machine another just warmed.
      const order = kinds.map((_, i) => kinds[(i + round - 1) % kinds.length]);
      for (const who of order) {
        // Each measurement on an Azurite of its own in the same state: fresh, then one untimed upload by the same
        // tool (code compiled, connections open, the file in the page cache). Azurite's memory grows with every
        // upload and its garbage collection then stalls whoever runs next; this way no tool pays for another.
        const { azurite, service } = await freshAzurite();
        try {
          if (who === 'azcopy') {
            await azcopy(azurite, vhd, `warmup-${who}.vhd`, work);
            seconds[who].push(await azcopy(azurite, vhd, `${who}-${round}.vhd`, work));
          } else
            seconds[who].push(await inProcessOfItsOwn(who, azurite, service, vhd, `${who}-${round}.vhd`));
        } finally {
          await azurite.stop();
        }
      }
      const at = round - 1;
      console.log(
        `round ${round}: this project ${seconds.ours[at].toFixed(2)} s, bare Put Page loop ${seconds.ceiling[at].toFixed(2)} s (ratio ${(seconds.ceiling[at] / seconds.ours[at]).toFixed(2)}), azcopy ${seconds.azcopy[at].toFixed(2)} s`,
      );
    }
    fs.rmSync(vhd);
    const sparse = path.join(work, 'disk-16g.vhd');
    makeSparseVhd(sparse, 16 * 1024, 0.001);
    const { azurite, service } = await freshAzurite();
    let sparseSeconds: number;
    try {
      sparseSeconds = await inProcessOfItsOwn('ours', azurite, service, sparse, 'sparse-16g.vhd');
    } finally {
      await azurite.stop();
    }
    console.log(
      `16 GiB VHD with 16 MiB of data: ${sparseSeconds.toFixed(2)} s (time follows the data, not the disk size)`,
    );
    const diskMiB = 2048;
    const oursMibps = diskMiB / median(seconds.ours);
    const azcopyMibps = diskMiB / median(seconds.azcopy);
    const ceilingMibps = diskMiB / median(seconds.ceiling);
    console.log('MiB/s counts the whole disk (2048 MiB) over the median time.');
    console.log(`upload_mibps=${oursMibps.toFixed(1)}`);
    console.log(`azcopy_mibps=${azcopyMibps.toFixed(1)}`);
    console.log(`ratio_vs_azcopy=${(oursMibps / azcopyMibps).toFixed(2)}`);
    console.log(`ceiling_mibps=${ceilingMibps.toFixed(1)}`);
    // Ceiling time over our time, per round (the two measured minutes apart at most, so a slower stretch of the
    // machine weighs on both), then the median over rounds: 1 means the uploader costs nothing beyond sending.
    const perRound = seconds.ours.map((t, k) => seconds.ceiling[k] / t);
    console.log(`ratio_of_ceiling=${median(perRound).toFixed(2)}`);
    console.log(`sparse16g_seconds=${sparseSeconds.toFixed(2)}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof ToolMissing ? e.message : e);
  process.exit(1);
});
