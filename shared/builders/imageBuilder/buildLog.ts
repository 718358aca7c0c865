import { list, listKeys } from '@azure/arm-storage/api/storageAccounts';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { storageClientOptions, storageManagement } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { parseResourceId } from '../../azure/resourceId';

/** Where Image Builder writes a run's log: `packerlogs/<run>/customization.log` in the staging storage account. */
const LOG_CONTAINER = 'packerlogs';

export interface BuildLog {
  url: string;
  text: string;
}

/**
 * The real log of the latest run, read from the staging resource group's storage account (the service creates it
 * there; Contributor on the subscription can read its key). Undefined when it cannot be found or read: the caller
 * then says where it should be. The account key is a secret the moment it is read.
 */
export async function readCustomizationLog(
  ctx: AzureContext,
  stagingResourceGroupId: string,
  onSecret: (value: string) => void,
): Promise<BuildLog | undefined> {
  const staging = parseResourceId(stagingResourceGroupId, { input: 'stagingResourceGroup' });
  const client = storageManagement(ctx, staging.subscriptionId);
  const prefix = `${stagingResourceGroupId.toLowerCase()}/providers/microsoft.storage/storageaccounts/`;
  let newest: { url: string; blob: string; service: BlobServiceClient; at: number } | undefined;
  for await (const account of list(client, { abortSignal: ctx.abortSignal })) {
    if (!account.id?.toLowerCase().startsWith(prefix) || !account.name) continue;
    const keys = await listKeys(client, staging.resourceGroup!, account.name, {
      abortSignal: ctx.abortSignal,
    });
    const key = keys.keys?.find((k) => k.permissions?.toLowerCase() === 'full')?.value;
    const endpoint = account.primaryEndpoints?.blob;
    if (!key || !endpoint) continue;
    onSecret(key);
    const service = new BlobServiceClient(
      endpoint.replace(/\/+$/, ''),
      new StorageSharedKeyCredential(account.name, key),
      storageClientOptions(ctx),
    );
    const container = service.getContainerClient(LOG_CONTAINER);
    if (!(await container.exists({ abortSignal: ctx.abortSignal }))) continue;
    for await (const blob of container.listBlobsFlat({ abortSignal: ctx.abortSignal })) {
      if (!blob.name.endsWith('/customization.log')) continue;
      const at = blob.properties.lastModified?.getTime() ?? 0;
      if (!newest || at >= newest.at)
        newest = { url: container.getBlobClient(blob.name).url, blob: blob.name, service, at };
    }
  }
  if (!newest) return undefined;
  const data = await newest.service
    .getContainerClient(LOG_CONTAINER)
    .getBlobClient(newest.blob)
    .downloadToBuffer(undefined, undefined, { abortSignal: ctx.abortSignal });
  return { url: newest.url, text: data.toString('utf8') };
}

/** The last lines of a log, for the task log and the summary. */
export function logTail(text: string, lines = 40): string[] {
  return text.replace(/\n+$/, '').split('\n').slice(-lines);
}
