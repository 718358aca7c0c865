import {
  readDuration,
  readEnum,
  readPath,
  readRegion,
  readResourceId,
  readString,
} from '../../shared/pipeline/inputs';
import { readAzureRmConnection } from '../../shared/pipeline/serviceConnection';
import { runTask } from '../../shared/pipeline/runTask';
import { notAvailableYet } from '../../shared/pipeline/notAvailableYet';

const CONVERSIONS = [
  'vhdToDisk',
  'blobToDisk',
  'diskToSnapshot',
  'snapshotToDisk',
  'toImage',
  'toVhdBlob',
  'blobToFile',
] as const;

void runTask('ConvertDisk', async () => {
  const conversion = readEnum('conversion', CONVERSIONS, 'vhdToDisk');
  readPath('vhdPath', { required: conversion === 'vhdToDisk', mustExist: conversion === 'vhdToDisk' });
  readResourceId('sourceId', {
    required: ['diskToSnapshot', 'snapshotToDisk', 'toImage', 'toVhdBlob'].includes(conversion),
  });
  readString('blobUrl', { required: ['blobToDisk', 'toVhdBlob', 'blobToFile'].includes(conversion) });
  readString('resourceGroupName');
  readRegion('location');
  readString('targetName');
  readEnum('osType', ['Linux', 'Windows'], 'Linux');
  readEnum('hyperVGeneration', ['V1', 'V2'], 'V2');
  readEnum(
    'sku',
    ['Standard_LRS', 'StandardSSD_LRS', 'Premium_LRS', 'StandardSSD_ZRS', 'Premium_ZRS'],
    'Standard_LRS',
  );
  // Azure grants disk access for at most 60 days (grantAccess durationInSeconds).
  readDuration('sasDuration', { defaultSeconds: 4 * 3600, maxSeconds: 5_184_000 });
  readString('localPath', { required: conversion === 'blobToFile' });
  await readAzureRmConnection();
  notAvailableYet('ConvertDisk');
});
