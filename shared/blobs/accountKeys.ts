import { list, listKeys } from '@azure/arm-storage/api/storageAccounts';
import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { storageManagement } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import { parseResourceId } from '../azure/resourceId';
import { InputError } from '../validation/inputError';

/**
 * The key of a storage account the connection can manage, found by the account's name in the connection's
 * subscription (Storage Account Key Operator, or Contributor, on it). Only for accounts that refuse Entra ID:
 * a key unlocks the whole account, so it is registered as a secret the moment it is read.
 */
export async function accountKeyCredential(
  ctx: AzureContext,
  input: string,
  accountName: string,
  onSecret: (value: string) => void,
  /** Where to look besides the connection's own subscription. */
  subscriptionIds: string[] = [],
): Promise<StorageSharedKeyCredential> {
  const subscriptions = [...new Set([ctx.subscriptionId, ...subscriptionIds])];
  const found = await step(
    `finding storage account '${accountName}' in subscription ${subscriptions.join(', ')}`,
    async () => {
      for (const subscriptionId of subscriptions) {
        for await (const account of list(storageManagement(ctx, subscriptionId), {
          abortSignal: ctx.abortSignal,
        }))
          if (account.name?.toLowerCase() === accountName.toLowerCase()) return account;
      }
      return undefined;
    },
    ctx.abortSignal,
  );
  if (!found?.id) {
    throw new InputError(
      input,
      `storage account '${accountName}' is not in subscription ${subscriptions.join(' or ')}, so its key cannot be read; name its subscription in targetSubscriptionId, or use sasType userDelegation`,
    );
  }
  const id = parseResourceId(found.id, { input });
  const client = storageManagement(ctx, id.subscriptionId);
  const keys = await step(
    `reading the keys of storage account '${accountName}'`,
    () => listKeys(client, id.resourceGroup!, accountName, { abortSignal: ctx.abortSignal }),
    ctx.abortSignal,
  );
  const key = keys.keys?.find((k) => k.permissions?.toLowerCase() === 'full')?.value;
  if (!key) throw new InputError(input, `storage account '${accountName}' gave no key with full permissions`);
  onSecret(key);
  return new StorageSharedKeyCredential(accountName, key);
}
