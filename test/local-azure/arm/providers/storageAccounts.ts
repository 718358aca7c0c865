import { ArmError } from '../errors';
import type { StoredResource } from '../store';
import type { ResourceTypeSpec } from './types';

/*
 * Microsoft.Storage/storageAccounts, shaped on the Storage spec: the local Azure's accounts are Azurite's, placed
 * in a subscription and resource group at start. ARM lists and reads them and hands out their keys (listKeys);
 * creating accounts is Azurite's business, so a create is refused plainly rather than faked.
 */
export interface AccountFixture {
  id: string;
  name: string;
  key: string;
  blobEndpoint: string;
  location: string;
}

export function storageAccountResource(account: AccountFixture): StoredResource {
  return {
    id: account.id,
    name: account.name,
    type: 'Microsoft.Storage/storageAccounts',
    location: account.location,
    extra: { sku: { name: 'Standard_LRS', tier: 'Standard' }, kind: 'StorageV2' },
    properties: {
      provisioningState: 'Succeeded',
      creationTime: new Date().toISOString(),
      primaryLocation: account.location,
      statusOfPrimary: 'available',
      primaryEndpoints: { blob: `${account.blobEndpoint}/` },
      supportsHttpsTrafficOnly: true,
      allowSharedKeyAccess: true,
      minimumTlsVersion: 'TLS1_2',
    },
    preexisting: true,
  };
}

export function storageAccountsProvider(keyOf: (name: string) => string | undefined): ResourceTypeSpec {
  return {
    type: 'Microsoft.Storage/storageAccounts',
    asyncCreate: true,
    asyncDelete: true,
    write() {
      throw new ArmError(
        400,
        'OperationNotSupported',
        'The local Azure does not create storage accounts; its accounts are the Azurite accounts it starts with.',
      );
    },
    actions: {
      listKeys({ resource }) {
        const value = keyOf(resource.name);
        if (!value)
          throw new ArmError(404, 'ResourceNotFound', `Storage account '${resource.name}' has no keys.`);
        const creationTime = String(resource.properties.creationTime);
        return {
          body: {
            keys: [
              { keyName: 'key1', value, permissions: 'Full', creationTime },
              // Azurite knows one key per account; the second is shown as Azure shows it, and does not sign.
              {
                keyName: 'key2',
                value: Buffer.from(`${resource.name}-key2`).toString('base64'),
                permissions: 'Full',
                creationTime,
              },
            ],
          },
        };
      },
    },
  };
}
