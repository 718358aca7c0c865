// One adapter per conversion: read that conversion's inputs, call shared/, set outputs and the summary.
import * as tl from 'azure-pipelines-task-lib/task';
import { downloadPageBlobToFile } from '../../shared/blobs/download';
import {
  createdSummaryMarkdown,
  exportSummaryMarkdown,
  importSummaryMarkdown,
} from '../../shared/disks/conversionSummary';
import { importVhdToManagedDisk } from '../../shared/disks/importVhd';
import { exportDiskToVhdBlob } from '../../shared/disks/exportVhd';
import { createManagedImage } from '../../shared/disks/managedImage';
import { diskFromSnapshot, snapshotDisk } from '../../shared/disks/snapshots';
import { DISK_SKUS, uploadVhdToManagedDisk, type UploadVhdOptions } from '../../shared/disks/uploadVhd';
import { uploadSummaryMarkdown } from '../../shared/disks/uploadSummary';
import { formatResourceId, parseResourceId } from '../../shared/azure/resourceId';
import { createAzureContext } from '../../shared/pipeline/azureContext';
import {
  readBoolean,
  readDuration,
  readEnum,
  readKeyValues,
  readList,
  readPath,
  readRegion,
  readResourceId,
  readSecret,
  readString,
} from '../../shared/pipeline/inputs';
import { setOutput } from '../../shared/pipeline/outputs';
import { createProgressReporter } from '../../shared/pipeline/progress';
import type { TaskRunContext } from '../../shared/pipeline/runTask';
import { registerSecret } from '../../shared/pipeline/secrets';
import { readAzureRmConnection } from '../../shared/pipeline/serviceConnection';
import { uploadSummary } from '../../shared/pipeline/summary';

const MIB = 1024 * 1024;
// Azure grants disk access for at most 60 days (grantAccess durationInSeconds).
const readSasDuration = () =>
  readDuration('sasDuration', { defaultSeconds: 4 * 3600, maxSeconds: 5_184_000 });

/** What a new managed disk is: set at creation, Azure cannot change OS type or generation later. */
function readDiskProperties() {
  return {
    osType: readEnum('osType', ['Linux', 'Windows'] as const, 'Linux'),
    hyperVGeneration: readEnum('hyperVGeneration', ['V1', 'V2'] as const, 'V2'),
    sku: readEnum('sku', DISK_SKUS, 'Standard_LRS'),
  };
}

function readUploadOptions(): UploadVhdOptions {
  return {
    vhdPath: readPath('vhdPath', { required: true, mustExist: true })!,
    resourceGroup: readString('resourceGroupName', { required: true }),
    location: readRegion('location', { required: true }),
    diskName: readString('targetName', { required: true }),
    ...readDiskProperties(),
    sasDurationSeconds: readSasDuration(),
    convert: readBoolean('convertImage', true),
    verifyByReadBack: readBoolean('verifyUpload', false),
    workDir: tl.getVariable('Agent.TempDirectory') ?? process.cwd(),
    tags: readKeyValues('tags'),
  };
}

async function vhdToDisk({ signal, cleanup }: TaskRunContext): Promise<void> {
  const options = readUploadOptions();
  const ctx = createAzureContext(await readAzureRmConnection(), { task: 'ConvertDisk', signal });
  const converting = createProgressReporter('Converting to fixed VHD');
  const uploading = createProgressReporter('Uploading to managed disk');
  const result = await uploadVhdToManagedDisk(ctx, options, {
    cleanup,
    onSecret: registerSecret,
    onProgress: (p) =>
      p.phase === 'convert'
        ? converting((p.bytesSent / Math.max(1, p.bytesToSend)) * 100)
        : uploading(
            (p.bytesSent / Math.max(1, p.bytesToSend)) * 100,
            `${p.rangesDone}/${p.rangesTotal} ranges`,
          ),
  });
  setOutput('resourceId', result.diskId);
  uploadSummary('ConvertDisk', uploadSummaryMarkdown(options, result));
}

async function blobToDisk({ signal, cleanup }: TaskRunContext): Promise<void> {
  const options = {
    blobUrl: readSecret('blobUrl', { required: true }),
    storageAccountId: readResourceId('storageAccountId', { required: true }),
    resourceGroup: readString('resourceGroupName', { required: true }),
    location: readRegion('location', { required: true }),
    diskName: readString('targetName', { required: true }),
    ...readDiskProperties(),
    tags: readKeyValues('tags'),
  };
  const ctx = createAzureContext(await readAzureRmConnection(), { task: 'ConvertDisk', signal });
  const result = await importVhdToManagedDisk(ctx, options, { cleanup, onSecret: registerSecret });
  setOutput('resourceId', result.diskId);
  uploadSummary('ConvertDisk', importSummaryMarkdown(result, options));
}

async function toVhdBlob({ signal, cleanup }: TaskRunContext): Promise<void> {
  const source = readResourceId('sourceId', { required: true });
  const targetBlobUrl = readSecret('blobUrl', { required: true });
  const sasDurationSeconds = readSasDuration();
  const ctx = createAzureContext(await readAzureRmConnection(), { task: 'ConvertDisk', signal });
  const copying = createProgressReporter('Copying disk to VHD blob');
  const result = await exportDiskToVhdBlob(
    ctx,
    { source, targetBlobUrl, sasDurationSeconds },
    {
      cleanup,
      onSecret: registerSecret,
      onProgress: (copied, total) => copying((copied / Math.max(1, total)) * 100),
    },
  );
  setOutput('vhdUrl', result.vhdUrl);
  uploadSummary('ConvertDisk', exportSummaryMarkdown(result.vhdUrl, result.bytes, result.durationMs));
}

async function blobToFile({ signal }: TaskRunContext): Promise<void> {
  const blobUrl = readSecret('blobUrl', { required: true });
  const localPath = readString('localPath', { required: true });
  const downloading = createProgressReporter('Downloading VHD');
  const result = await downloadPageBlobToFile(blobUrl, localPath, {
    abortSignal: signal,
    onProgress: (done, total) => downloading((done / Math.max(1, total)) * 100),
  });
  console.log(
    `Wrote ${localPath}: ${(result.fileBytes / MIB).toFixed(0)} MiB, ${(result.bytesDownloaded / MIB).toFixed(1)} MiB of data downloaded`,
  );
}

async function snapshotConversion(
  { signal }: TaskRunContext,
  conversion: 'diskToSnapshot' | 'snapshotToDisk',
): Promise<void> {
  const source = readResourceId('sourceId', { required: true });
  const target = {
    resourceGroup: readString('resourceGroupName', { required: true }),
    name: readString('targetName', { required: true }),
    location: readRegion('location'),
    tags: readKeyValues('tags'),
  };
  const incremental = readBoolean('incremental', true);
  const sku = readEnum('sku', DISK_SKUS, 'Standard_LRS');
  const ctx = createAzureContext(await readAzureRmConnection(), { task: 'ConvertDisk', signal });
  const result =
    conversion === 'diskToSnapshot'
      ? await snapshotDisk(ctx, source, { ...target, incremental })
      : await diskFromSnapshot(ctx, source, { ...target, sku });
  setOutput('resourceId', result.id);
  const what =
    conversion === 'diskToSnapshot' ? `${incremental ? 'incremental' : 'full'} snapshot` : 'managed disk';
  uploadSummary('ConvertDisk', createdSummaryMarkdown(conversion, what, formatResourceId(source), result));
}

async function toImage({ signal }: TaskRunContext): Promise<void> {
  const osSource = readResourceId('sourceId', { required: true });
  const dataSources = readList('dataDiskIds').map((id) => parseResourceId(id, { input: 'dataDiskIds' }));
  const osState = readEnum('osState', ['Generalized', 'Specialized'] as const, 'Generalized');
  const target = {
    resourceGroup: readString('resourceGroupName', { required: true }),
    name: readString('targetName', { required: true }),
    location: readRegion('location'),
    tags: readKeyValues('tags'),
  };
  const ctx = createAzureContext(await readAzureRmConnection(), { task: 'ConvertDisk', signal });
  const result = await createManagedImage(ctx, { osSource, dataSources, osState, target });
  setOutput('resourceId', result.id);
  uploadSummary(
    'ConvertDisk',
    createdSummaryMarkdown('toImage', 'managed image', formatResourceId(osSource), result),
  );
}

export const CONVERSIONS = [
  'vhdToDisk',
  'blobToDisk',
  'diskToSnapshot',
  'snapshotToDisk',
  'toImage',
  'toVhdBlob',
  'blobToFile',
] as const;
export type Conversion = (typeof CONVERSIONS)[number];

export const CONVERSION_ADAPTERS: Record<Conversion, (run: TaskRunContext) => Promise<void>> = {
  vhdToDisk,
  blobToDisk,
  toVhdBlob,
  blobToFile,
  diskToSnapshot: (run) => snapshotConversion(run, 'diskToSnapshot'),
  snapshotToDisk: (run) => snapshotConversion(run, 'snapshotToDisk'),
  toImage,
};
