import { randomUUID } from 'node:crypto';
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  type SignedIdentifierModel,
  type StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { storageClientOptions } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { IP_STYLE, parseBlobUrl } from './blobUrl';
import { InputError } from '../validation/inputError';

/** A short-lived read grant on one blob: the URL with its SAS, until when, and whether it can be taken back. */
export interface ReadGrant {
  url: string;
  kind: 'userDelegation' | 'accountKey';
  expiresOn: Date;
  /** Account-key grants hang on a stored access policy: removing it ends the SAS at once. */
  revocable: boolean;
  revoke(): Promise<void>;
}

/** Azure allows a user delegation key for at most 7 days; under 5 minutes a copy would race its SAS. */
export const SAS_SECONDS = { min: 300, max: 7 * 86_400 };

/** `https://host/account` for IP-style (emulator, Azure Stack) URLs, else `https://host`. */
export function serviceUrlOf(blobUrl: string, accountName: string): string {
  const url = new URL(blobUrl);
  return IP_STYLE.test(url.hostname) ? `${url.origin}/${accountName}` : url.origin;
}

const SAS_VERSION = '2020-12-06';

// The SAS starts a little in the past: the storage service's clock may be behind the agent's.
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * A read SAS signed with a user delegation key that Azure issues to the connection's identity: no account key is
 * read, and the identity's own rights bound what the SAS can do. It cannot be revoked alone (only every key of the
 * account at once), so it is kept short and expires by itself.
 */
export async function grantUserDelegationRead(
  ctx: AzureContext,
  input: string,
  blobUrl: string,
  seconds: number,
): Promise<ReadGrant> {
  const { url, expiresOn } = await userDelegationUrl(ctx, input, blobUrl, seconds, 'r');
  return { url, kind: 'userDelegation', expiresOn, revocable: false, revoke: () => Promise.resolve() };
}

/**
 * A blob URL with a user delegation SAS of the given permissions (e.g. `racw` for a Run Command's output blob):
 * signed with a key Azure issues to the connection's identity, so no account key is read.
 */
export async function userDelegationUrl(
  ctx: AzureContext,
  input: string,
  blobUrl: string,
  seconds: number,
  permissions: string,
): Promise<{ url: string; expiresOn: Date }> {
  const { accountName, container, blob } = parseBlobUrl(input, blobUrl);
  const service = new BlobServiceClient(
    serviceUrlOf(blobUrl, accountName),
    ctx.credential,
    storageClientOptions(ctx),
  );
  const startsOn = new Date(Date.now() - CLOCK_SKEW_MS);
  const expiresOn = new Date(Date.now() + seconds * 1000);
  const key = await service.getUserDelegationKey(startsOn, expiresOn, { abortSignal: ctx.abortSignal });
  const sas = generateBlobSASQueryParameters(
    {
      containerName: container,
      blobName: blob,
      permissions: BlobSASPermissions.parse(permissions),
      startsOn,
      expiresOn,
      protocol: SASProtocol.HttpsAndHttp,
      // The SDK signs with its newest service version by default; endpoints that lag behind it (Azure Stack Hub,
      // emulators) refuse such a SAS. 2020-12-06 has all a read SAS needs and every endpoint validates it.
      version: SAS_VERSION,
    },
    key,
    accountName,
  ).toString();
  return { url: `${blobUrl.split('?')[0]}?${sas}`, expiresOn };
}

/**
 * A read SAS signed with the account key, tied to a stored access policy of its own on the container, so the
 * grant ends the moment the copy is done. The container's other policies are kept (Azure allows five).
 */
export async function grantAccountKeyRead(
  ctx: AzureContext,
  input: string,
  blobUrl: string,
  seconds: number,
  credential: StorageSharedKeyCredential,
): Promise<ReadGrant> {
  const { accountName, container, blob } = parseBlobUrl(input, blobUrl);
  const containerClient = new ContainerClient(
    `${serviceUrlOf(blobUrl, accountName)}/${container}`,
    credential,
    storageClientOptions(ctx),
  );
  const id = `vm-image-lifecycle-${randomUUID().slice(0, 8)}`;
  const expiresOn = new Date(Date.now() + seconds * 1000);
  const current = await containerClient.getAccessPolicy({ abortSignal: ctx.abortSignal });
  const policies: SignedIdentifierModel[] = current.signedIdentifiers.map((p) => ({
    id: p.id,
    accessPolicy: {
      permissions: p.accessPolicy.permissions,
      startsOn: p.accessPolicy.startsOn?.toISOString(),
      expiresOn: p.accessPolicy.expiresOn?.toISOString(),
    },
  }));
  if (policies.length >= 5) {
    throw new InputError(
      input,
      `container '${container}' already has 5 stored access policies, the most Azure allows; remove one or use sasType userDelegation`,
    );
  }
  const setPolicies = (list: SignedIdentifierModel[]) =>
    containerClient.setAccessPolicy(
      current.blobPublicAccess,
      list.map((p) => ({
        id: p.id,
        accessPolicy: {
          permissions: p.accessPolicy?.permissions ?? '',
          startsOn: p.accessPolicy?.startsOn ? new Date(p.accessPolicy.startsOn) : undefined,
          expiresOn: p.accessPolicy?.expiresOn ? new Date(p.accessPolicy.expiresOn) : undefined,
        },
      })),
    );
  const startsOn = new Date(Date.now() - CLOCK_SKEW_MS);
  await setPolicies([
    ...policies,
    {
      id,
      accessPolicy: {
        permissions: 'r',
        startsOn: startsOn.toISOString(),
        expiresOn: expiresOn.toISOString(),
      },
    },
  ]);
  const sas = generateBlobSASQueryParameters(
    { containerName: container, blobName: blob, identifier: id, version: SAS_VERSION },
    credential,
  ).toString();
  return {
    url: `${blobUrl.split('?')[0]}?${sas}`,
    kind: 'accountKey',
    expiresOn,
    revocable: true,
    revoke: async () => {
      // Read again: someone may have changed the container's policies while the copy ran.
      const now = await containerClient.getAccessPolicy();
      await setPolicies(
        now.signedIdentifiers
          .filter((p) => p.id !== id)
          .map((p) => ({
            id: p.id,
            accessPolicy: {
              permissions: p.accessPolicy.permissions,
              startsOn: p.accessPolicy.startsOn?.toISOString(),
              expiresOn: p.accessPolicy.expiresOn?.toISOString(),
            },
          })),
      );
    },
  };
}
