import type { Disk } from '@azure/arm-compute';
import { refuseExisting, rethrowResourceGroup } from '../azure/armLookup';
import type { CleanupStack } from '../azure/cleanup';
import { computeClient, lroOptions, storageClientOptions } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import { expectResourceType, resourceName, type ResourceId } from '../azure/resourceId';
import { inspectVhdBlob } from '../blobs/vhdBlob';
import { InputError } from '../validation/inputError';
import type { DiskSku } from './uploadVhd';

export interface ImportVhdOptions {
  /** The VHD page blob; a SAS (read) lets the agent check it first and is never sent to ARM. */
  blobUrl: string;
  /** The storage account holding the blob; Azure requires it for Import and reads the blob through it. */
  storageAccountId: ResourceId;
  resourceGroup: string;
  diskName: string;
  location: string;
  osType?: 'Linux' | 'Windows';
  hyperVGeneration: 'V1' | 'V2';
  sku: DiskSku;
  tags?: Record<string, string>;
}

export interface ImportVhdResult {
  diskId: string;
  /** The blob imported, without its SAS. */
  sourceUri: string;
  sizeBytes: number;
  durationMs: number;
}

/** The import request, checked once: storageAccountId must name a storage account. */
export function importRequest(options: ImportVhdOptions): ImportVhdOptions {
  expectResourceType(
    'storageAccountId',
    options.storageAccountId,
    ['Microsoft.Storage/storageAccounts'],
    'the id of a storage account (Microsoft.Storage/storageAccounts)',
  );
  return options;
}

/**
 * VHD page blob → managed disk with createOption Import: the copy happens inside Azure, nothing passes through the
 * agent. The blob is checked from the agent first (page blob, fixed VHD, sizes Azure takes) and the storage account
 * must be the blob's own, so a wrong input fails before any disk exists. A disk whose import fails is deleted.
 */
export async function importVhdToManagedDisk(
  ctx: AzureContext,
  options: ImportVhdOptions,
  hooks: { cleanup: CleanupStack; onSecret?: (value: string) => void },
): Promise<ImportVhdResult> {
  const started = Date.now();
  if (options.blobUrl.includes('?')) hooks.onSecret?.(options.blobUrl);
  const account = options.storageAccountId;
  const blob = await inspectVhdBlob('blobUrl', options.blobUrl, {
    clientOptions: storageClientOptions(ctx),
    abortSignal: ctx.abortSignal,
  });
  if (blob.accountName.toLowerCase() !== resourceName(account).toLowerCase()) {
    throw new InputError(
      'storageAccountId',
      `names storage account '${resourceName(account)}' but the blob is in account '${blob.accountName}'`,
    );
  }
  const client = computeClient(ctx);
  await refuseExisting(() => client.disks.get(options.resourceGroup, options.diskName), {
    what: 'managed disk',
    name: options.diskName,
    resourceGroup: options.resourceGroup,
  });
  const body: Disk = {
    location: options.location,
    sku: { name: options.sku },
    osType: options.osType,
    hyperVGeneration: options.hyperVGeneration,
    creationData: {
      createOption: 'Import',
      sourceUri: blob.url,
      storageAccountId: `/subscriptions/${account.subscriptionId}/resourceGroups/${account.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${resourceName(account)}`,
    },
    tags: options.tags,
  };
  // An import that fails or is cancelled leaves a disk in state Failed behind: remove it.
  const removeFailed = hooks.cleanup.defer(
    `managed disk ${options.diskName} (import not finished)`,
    (signal) =>
      client.disks.delete(options.resourceGroup, options.diskName, {
        updateIntervalInMs: ctx.pollIntervalMs ?? 5_000,
        abortSignal: signal,
      }),
  );
  const disk = await step(
    `importing ${blob.url} into disk '${options.diskName}'`,
    () =>
      client.disks
        .createOrUpdate(options.resourceGroup, options.diskName, body, lroOptions(ctx))
        .catch((e: unknown) => rethrowResourceGroup(e, 'resourceGroupName', options.resourceGroup)),
    ctx.abortSignal,
  );
  removeFailed();
  return {
    diskId: disk.id!,
    sourceUri: blob.url,
    sizeBytes: blob.sizeBytes,
    durationMs: Date.now() - started,
  };
}
