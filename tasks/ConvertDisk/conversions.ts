// One adapter per conversion: read that conversion's inputs into one checked request, make one library call,
// write outputs and the summary. Every agent fact comes through the run context.
import { downloadPageBlobToFile } from '../../shared/blobs/download';
import { exportDiskToVhdBlob, exportRequest } from '../../shared/disks/exportVhd';
import { importRequest, importVhdToManagedDisk } from '../../shared/disks/importVhd';
import { createManagedImage, managedImageRequest } from '../../shared/disks/managedImage';
import {
  diskFromSnapshot,
  diskFromSnapshotRequest,
  snapshotDisk,
  snapshotRequest,
} from '../../shared/disks/snapshots';
import { DISK_SKUS, uploadVhdToManagedDisk, type UploadVhdOptions } from '../../shared/disks/uploadVhd';
import { formatResourceId, parseResourceId } from '../../shared/azure/resourceId';
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
import type { TaskRunContext } from '../../shared/pipeline/runTask';
import {
  createdSummaryMarkdown,
  downloadSummaryLine,
  exportSummaryMarkdown,
  importSummaryMarkdown,
  uploadSummaryMarkdown,
} from './summary';

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

function readCopyTarget() {
  return {
    resourceGroup: readString('resourceGroupName', { required: true }),
    name: readString('targetName', { required: true }),
    location: readRegion('location'),
    tags: readKeyValues('tags'),
  };
}

async function vhdToDisk(run: TaskRunContext): Promise<void> {
  const request: UploadVhdOptions = {
    vhdPath: readPath('vhdPath', { required: true, mustExist: true })!,
    resourceGroup: readString('resourceGroupName', { required: true }),
    location: readRegion('location', { required: true }),
    diskName: readString('targetName', { required: true }),
    ...readDiskProperties(),
    sasDurationSeconds: readSasDuration(),
    convert: readBoolean('convertImage', true),
    verifyByReadBack: readBoolean('verifyUpload', false),
    workDir: run.tempDirectory,
    tags: readKeyValues('tags'),
  };
  const converting = run.progress('Converting to fixed VHD');
  const uploading = run.progress('Uploading to managed disk');
  const result = await uploadVhdToManagedDisk(await run.connect(), request, {
    cleanup: run.cleanup,
    onSecret: run.secret,
    onProgress: (p) =>
      p.phase === 'convert'
        ? converting((p.bytesSent / Math.max(1, p.bytesToSend)) * 100)
        : uploading(
            (p.bytesSent / Math.max(1, p.bytesToSend)) * 100,
            `${p.rangesDone}/${p.rangesTotal} ranges`,
          ),
  });
  run.output('resourceId', result.diskId);
  run.summary(uploadSummaryMarkdown(request, result));
}

async function blobToDisk(run: TaskRunContext): Promise<void> {
  const request = importRequest({
    blobUrl: readSecret('blobUrl', { required: true }),
    storageAccountId: readResourceId('storageAccountId', { required: true }),
    resourceGroup: readString('resourceGroupName', { required: true }),
    location: readRegion('location', { required: true }),
    diskName: readString('targetName', { required: true }),
    ...readDiskProperties(),
    tags: readKeyValues('tags'),
  });
  const result = await importVhdToManagedDisk(await run.connect(), request, {
    cleanup: run.cleanup,
    onSecret: run.secret,
  });
  run.output('resourceId', result.diskId);
  run.summary(importSummaryMarkdown(result, request));
}

async function toVhdBlob(run: TaskRunContext): Promise<void> {
  const request = exportRequest({
    source: readResourceId('sourceId', { required: true }),
    targetBlobUrl: readSecret('blobUrl', { required: true }),
    sasDurationSeconds: readSasDuration(),
  });
  const copying = run.progress('Copying disk to VHD blob');
  const result = await exportDiskToVhdBlob(await run.connect(), request, {
    cleanup: run.cleanup,
    onSecret: run.secret,
    onProgress: (copied, total) => copying((copied / Math.max(1, total)) * 100),
  });
  run.output('vhdUrl', result.vhdUrl);
  run.summary(exportSummaryMarkdown(result.vhdUrl, result.bytes, result.durationMs));
}

async function blobToFile(run: TaskRunContext): Promise<void> {
  const blobUrl = readSecret('blobUrl', { required: true });
  const localPath = readString('localPath', { required: true });
  const downloading = run.progress('Downloading VHD');
  const result = await downloadPageBlobToFile(blobUrl, localPath, {
    abortSignal: run.signal,
    onProgress: (done, total) => downloading((done / Math.max(1, total)) * 100),
  });
  console.log(downloadSummaryLine(localPath, result));
}

async function diskToSnapshot(run: TaskRunContext): Promise<void> {
  const request = snapshotRequest(readResourceId('sourceId', { required: true }), {
    ...readCopyTarget(),
    incremental: readBoolean('incremental', true),
  });
  const result = await snapshotDisk(await run.connect(), request.source, request.target, run);
  run.output('resourceId', result.id);
  const what = `${request.target.incremental ? 'incremental' : 'full'} snapshot`;
  run.summary(createdSummaryMarkdown('diskToSnapshot', what, formatResourceId(request.source), result));
}

async function snapshotToDisk(run: TaskRunContext): Promise<void> {
  const request = diskFromSnapshotRequest(readResourceId('sourceId', { required: true }), {
    ...readCopyTarget(),
    sku: readEnum('sku', DISK_SKUS, 'Standard_LRS'),
  });
  const result = await diskFromSnapshot(await run.connect(), request.source, request.target, run);
  run.output('resourceId', result.id);
  run.summary(
    createdSummaryMarkdown('snapshotToDisk', 'managed disk', formatResourceId(request.source), result),
  );
}

async function toImage(run: TaskRunContext): Promise<void> {
  const request = managedImageRequest({
    osSource: readResourceId('sourceId', { required: true }),
    dataSources: readList('dataDiskIds').map((id) => parseResourceId(id, { input: 'dataDiskIds' })),
    osState: readEnum('osState', ['Generalized', 'Specialized'] as const, 'Generalized'),
    target: readCopyTarget(),
  });
  const result = await createManagedImage(await run.connect(), request, run);
  run.output('resourceId', result.id);
  run.summary(createdSummaryMarkdown('toImage', 'managed image', formatResourceId(request.osSource), result));
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
  diskToSnapshot,
  snapshotToDisk,
  toImage,
};
