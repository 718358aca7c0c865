import { isRestError } from '@azure/core-rest-pipeline';
import {
  AnonymousCredential,
  BlobClient,
  type BlobBeginCopyFromUrlPollState,
  type StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { storageClientOptions } from '../azure/clients';
import type { CleanupStack } from '../azure/cleanup';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import { InputError } from '../validation/inputError';
import { parseBlobUrl } from './blobUrl';
import { grantAccountKeyRead, grantUserDelegationRead, SAS_SECONDS, type ReadGrant } from './readSas';
import { inspectVhdBlob } from './vhdBlob';

export interface VhdBlobCopyRequest {
  /** Blob URLs without a SAS: the task makes its own short read grant. */
  sourceUrl: string;
  targetUrl: string;
  sasType: 'userDelegation' | 'accountKey';
  sasSeconds: number;
  overwrite: boolean;
}

export interface VhdBlobCopyResult {
  url: string;
  bytes: number;
  /** Base64 Content-MD5 both blobs carry, when the source has one. */
  contentMd5?: string;
  action: 'copied' | 'replaced' | 'unchanged';
  grant: { kind: ReadGrant['kind']; expiresOn: Date; revoked: boolean };
  durationMs: number;
}

/** How the task reaches the storage accounts: the connection's token, or (asked for) the accounts' keys. */
export interface StorageAccess {
  /** Signs requests to the target account (and the source's user delegation key). */
  credential(accountName: string): TokenCredential | StorageSharedKeyCredential;
  /** The source account's key, for an account-key SAS. */
  sourceKey?: StorageSharedKeyCredential;
}

const noQuery = (url: string) => url.split('?')[0];

/** The copy request, checked once without Azure: URLs without SAS, two different blobs, a sane SAS lifetime. */
export function vhdBlobCopyRequest(request: VhdBlobCopyRequest): VhdBlobCopyRequest {
  for (const [input, url] of [
    ['sourceBlobUrl', request.sourceUrl],
    ['targetBlobUrl', request.targetUrl],
  ] as const) {
    parseBlobUrl(input, url);
    if (url.includes('?')) {
      throw new InputError(
        input,
        'must be given without a SAS (query string): the task makes its own short-lived grant, so no lasting secret sits in the pipeline',
      );
    }
  }
  if (noQuery(request.sourceUrl).toLowerCase() === noQuery(request.targetUrl).toLowerCase())
    throw new InputError('targetBlobUrl', 'is the source blob itself; give another blob');
  if (request.sasSeconds < SAS_SECONDS.min)
    throw new InputError('sasDuration', `${request.sasSeconds} s is too short; give at least 5m`);
  if (request.sasSeconds > SAS_SECONDS.max)
    throw new InputError('sasDuration', `${request.sasSeconds} s is too long; Azure allows at most 7d`);
  return request;
}

/**
 * VHD page blob → VHD page blob in another storage account, copied by the storage service from a short-lived
 * read SAS (copy from URL, polled to the end): no byte passes through the agent. The source is checked to be a
 * fixed VHD page blob first; the copy is checked by length and Content-MD5; the grant is revoked (or, for a user
 * delegation SAS, left to expire soon); a copy that fails or is cancelled is aborted and its blob deleted.
 */
export async function copyVhdBlob(
  ctx: AzureContext,
  request: VhdBlobCopyRequest,
  access: StorageAccess,
  hooks: {
    cleanup?: CleanupStack;
    onSecret?: (s: string) => void;
    onProgress?: (copied: number, total: number) => void;
  } = {},
): Promise<VhdBlobCopyResult> {
  const started = Date.now();
  const options = storageClientOptions(ctx);
  const target = parseBlobUrl('targetBlobUrl', request.targetUrl);
  const grant = await step(
    `granting read access to ${noQuery(request.sourceUrl)}`,
    () =>
      request.sasType === 'userDelegation'
        ? grantUserDelegationRead(ctx, 'sourceBlobUrl', request.sourceUrl, request.sasSeconds)
        : grantAccountKeyRead(ctx, 'sourceBlobUrl', request.sourceUrl, request.sasSeconds, access.sourceKey!),
    ctx.abortSignal,
  );
  hooks.onSecret?.(grant.url);
  hooks.onSecret?.(grant.url.split('?')[1]);
  const dropRevoke = grant.revocable
    ? hooks.cleanup?.defer(`read grant on ${noQuery(request.sourceUrl)}`, () => grant.revoke())
    : undefined;
  const info = await inspectVhdBlob('sourceBlobUrl', grant.url, {
    clientOptions: options,
    abortSignal: ctx.abortSignal,
  });
  const sourceProps = await new BlobClient(grant.url, new AnonymousCredential(), options).getProperties({
    abortSignal: ctx.abortSignal,
  });
  const targetClient = new BlobClient(
    noQuery(request.targetUrl),
    access.credential(target.accountName),
    options,
  ).getPageBlobClient();
  const existing = await targetClient.getProperties({ abortSignal: ctx.abortSignal }).catch((e: unknown) => {
    if (isRestError(e) && e.statusCode === 404) {
      if (e.code === 'ContainerNotFound')
        throw new InputError(
          'targetBlobUrl',
          `container '${target.container}' does not exist in account '${target.accountName}'; create it first`,
        );
      return undefined;
    }
    if (isRestError(e) && (e.statusCode === 401 || e.statusCode === 403)) {
      throw new InputError(
        'targetBlobUrl',
        `the service connection cannot write to account '${target.accountName}' (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ''}); give its identity Storage Blob Data Contributor on the container`,
      );
    }
    throw e;
  });
  let action: VhdBlobCopyResult['action'] = 'copied';
  if (existing) {
    const sameCopy =
      existing.copyStatus === 'success' &&
      existing.copySource !== undefined &&
      noQuery(existing.copySource).toLowerCase() === noQuery(request.sourceUrl).toLowerCase() &&
      existing.contentLength === info.sizeBytes &&
      (!sourceProps.contentMD5 ||
        Buffer.from(existing.contentMD5 ?? []).equals(Buffer.from(sourceProps.contentMD5)));
    if (sameCopy) action = 'unchanged';
    else if (!request.overwrite) {
      throw new InputError(
        'targetBlobUrl',
        `${noQuery(request.targetUrl)} already exists${existing.copySource ? ` (copied from ${noQuery(existing.copySource)})` : ''}; choose another blob, or set overwrite to replace it`,
      );
    } else action = 'replaced';
  }
  if (action !== 'unchanged') {
    let copyId: string | undefined;
    const startCopy = (from: string, copyOptions: Parameters<typeof targetClient.beginCopyFromURL>[1]) =>
      targetClient.beginCopyFromURL(from, copyOptions).catch((e: unknown) => {
        // A HEAD on a blob does not say whether the container is missing; the copy does.
        if (isRestError(e) && e.code === 'ContainerNotFound') {
          throw new InputError(
            'targetBlobUrl',
            `container '${target.container}' does not exist in account '${target.accountName}'; create it first`,
          );
        }
        throw e;
      });
    const dropTarget = hooks.cleanup?.defer(
      `copy into ${noQuery(request.targetUrl)} (not finished)`,
      async () => {
        if (copyId) await targetClient.abortCopyFromURL(copyId).catch(() => undefined);
        await targetClient.deleteIfExists();
      },
    );
    const poller = await step(
      `starting the copy of ${noQuery(request.sourceUrl)} to ${noQuery(request.targetUrl)}`,
      () =>
        startCopy(grant.url, {
          abortSignal: ctx.abortSignal,
          intervalInMs: ctx.pollIntervalMs ?? 5_000,
          onProgress: (state) => {
            copyId = state.copyId;
            const [done, total] = (state.copyProgress ?? '0/0').split('/').map(Number);
            hooks.onProgress?.(done, total || info.sizeBytes);
          },
        }),
      ctx.abortSignal,
    );
    copyId = (poller.getOperationState() as BlobBeginCopyFromUrlPollState).copyId;
    await step('copying the blob', () => poller.pollUntilDone(), ctx.abortSignal);
    hooks.onProgress?.(info.sizeBytes, info.sizeBytes);
    const copied = await targetClient.getProperties({ abortSignal: ctx.abortSignal });
    const problems: string[] = [];
    if (copied.copyStatus !== 'success')
      problems.push(`copy status is ${copied.copyStatus}: ${copied.copyStatusDescription ?? ''}`);
    if (copied.contentLength !== info.sizeBytes)
      problems.push(`it is ${copied.contentLength} bytes, the source ${info.sizeBytes}`);
    if (
      sourceProps.contentMD5 &&
      !Buffer.from(copied.contentMD5 ?? []).equals(Buffer.from(sourceProps.contentMD5))
    )
      problems.push('its Content-MD5 differs from the source’s');
    if (problems.length)
      throw new Error(`the copy ${noQuery(request.targetUrl)} is not the source: ${problems.join('; ')}`);
    dropTarget?.();
  }
  if (grant.revocable) {
    await step('revoking the read grant', () => grant.revoke(), ctx.abortSignal);
    dropRevoke?.();
  }
  return {
    url: noQuery(request.targetUrl),
    bytes: info.sizeBytes,
    contentMd5: sourceProps.contentMD5 ? Buffer.from(sourceProps.contentMD5).toString('base64') : undefined,
    action,
    grant: { kind: grant.kind, expiresOn: grant.expiresOn, revoked: grant.revocable },
    durationMs: Date.now() - started,
  };
}

export { SAS_SECONDS };
