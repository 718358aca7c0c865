import type { AzureContext } from '../azure/context';
import { accountKeyCredential } from './accountKeys';
import { parseBlobUrl } from './blobUrl';
import type { StorageAccess, VhdBlobCopyRequest } from './serverCopy';

/**
 * How a blob copy reaches its accounts. By default with the connection's own Entra ID token (user delegation
 * SAS for the source, token-authorized writes to the target): no account key is ever read. With sasType
 * accountKey, both accounts' keys are read through ARM, for accounts with Entra ID access turned off.
 */
export async function storageAccess(
  ctx: AzureContext,
  request: VhdBlobCopyRequest,
  onSecret: (value: string) => void,
  /** Subscriptions holding the accounts besides the connection's (account keys only). */
  subscriptionIds: string[] = [],
): Promise<StorageAccess> {
  if (request.sasType === 'userDelegation') return { credential: () => ctx.credential };
  const source = parseBlobUrl('sourceBlobUrl', request.sourceUrl).accountName;
  const target = parseBlobUrl('targetBlobUrl', request.targetUrl).accountName;
  const sourceKey = await accountKeyCredential(ctx, 'sourceBlobUrl', source, onSecret, subscriptionIds);
  const targetKey =
    target.toLowerCase() === source.toLowerCase()
      ? sourceKey
      : await accountKeyCredential(ctx, 'targetBlobUrl', target, onSecret, subscriptionIds);
  return { credential: () => targetKey, sourceKey };
}
