import type { AzureContext } from '../azure/context';
import { InputError } from '../validation/inputError';
import type { StorageAccess, VhdBlobCopyRequest } from './serverCopy';

/**
 * How a blob copy reaches its accounts. By default with the connection's own Entra ID token (user delegation
 * SAS for the source, token-authorized writes to the target): no account key is ever read.
 */
export async function storageAccess(
  ctx: AzureContext,
  request: VhdBlobCopyRequest,
  onSecret: (value: string) => void,
): Promise<StorageAccess> {
  void onSecret;
  if (request.sasType === 'userDelegation') return { credential: () => ctx.credential };
  throw new InputError('sasType', 'accountKey is not available yet; use userDelegation');
}
