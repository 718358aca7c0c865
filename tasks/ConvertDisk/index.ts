import * as tl from 'azure-pipelines-task-lib/task';
import { DISK_SKUS, uploadVhdToManagedDisk, type UploadVhdOptions } from '../../shared/disks/uploadVhd';
import { uploadSummaryMarkdown } from '../../shared/disks/uploadSummary';
import { createAzureContext } from '../../shared/pipeline/azureContext';
import {
  readBoolean,
  readDuration,
  readEnum,
  readKeyValues,
  readPath,
  readRegion,
  readResourceId,
  readString,
} from '../../shared/pipeline/inputs';
import { notAvailableYet } from '../../shared/pipeline/notAvailableYet';
import { setOutput } from '../../shared/pipeline/outputs';
import { createProgressReporter } from '../../shared/pipeline/progress';
import { runTask } from '../../shared/pipeline/runTask';
import { registerSecret } from '../../shared/pipeline/secrets';
import { readAzureRmConnection } from '../../shared/pipeline/serviceConnection';
import { uploadSummary } from '../../shared/pipeline/summary';

const CONVERSIONS = [
  'vhdToDisk',
  'blobToDisk',
  'diskToSnapshot',
  'snapshotToDisk',
  'toImage',
  'toVhdBlob',
  'blobToFile',
] as const;

function readUploadOptions(): UploadVhdOptions {
  return {
    vhdPath: readPath('vhdPath', { required: true, mustExist: true })!,
    resourceGroup: readString('resourceGroupName', { required: true }),
    location: readRegion('location', { required: true }),
    diskName: readString('targetName', { required: true }),
    osType: readEnum('osType', ['Linux', 'Windows'] as const, 'Linux'),
    hyperVGeneration: readEnum('hyperVGeneration', ['V1', 'V2'] as const, 'V2'),
    sku: readEnum('sku', DISK_SKUS, 'Standard_LRS'),
    // Azure grants disk access for at most 60 days (grantAccess durationInSeconds).
    sasDurationSeconds: readDuration('sasDuration', { defaultSeconds: 4 * 3600, maxSeconds: 5_184_000 }),
    convert: readBoolean('convertImage', true),
    workDir: tl.getVariable('Agent.TempDirectory') ?? process.cwd(),
    tags: readKeyValues('tags'),
  };
}

void runTask('ConvertDisk', async ({ signal, cleanup }) => {
  const conversion = readEnum('conversion', CONVERSIONS, 'vhdToDisk');
  if (conversion !== 'vhdToDisk') {
    readResourceId('sourceId');
    readString('blobUrl');
    readString('localPath');
    notAvailableYet(`ConvertDisk (${conversion})`);
  }
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
});
