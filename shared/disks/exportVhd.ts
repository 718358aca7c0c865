import { isRestError } from '@azure/core-rest-pipeline';
import { AnonymousCredential, BlobClient } from '@azure/storage-blob';
import type { CleanupStack } from '../azure/cleanup';
import { computeClient, lroOptions, storageClientOptions } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { step as namedStep } from '../azure/errors';
import { redactUrl } from '../azure/redact';
import { expectResourceType, resourceName, resourceType, type ResourceId } from '../azure/resourceId';
import { InputError } from '../validation/inputError';

export interface ExportVhdOptions {
  source: ResourceId;
  /** Target blob URL with a SAS allowing create and write. */
  targetBlobUrl: string;
  sasDurationSeconds: number;
}

export interface ExportVhdResult {
  /** The target blob URL without its SAS. */
  vhdUrl: string;
  bytes: number;
  durationMs: number;
}

function withoutQuery(url: string): string {
  return url.split('?')[0];
}

/** The export request, checked once: a managed disk as source, a target blob URL that carries a SAS. */
export function exportRequest(options: ExportVhdOptions): ExportVhdOptions {
  expectResourceType(
    'sourceId',
    options.source,
    ['Microsoft.Compute/disks', 'Microsoft.Compute/snapshots'],
    'a managed disk or snapshot',
  );
  if (!/[?&]sig=/.test(options.targetBlobUrl)) {
    throw new InputError(
      'blobUrl',
      `${redactUrl(options.targetBlobUrl)} carries no SAS token; give a blob URL with a SAS that allows create and write`,
    );
  }
  return options;
}

/**
 * Managed disk or snapshot → VHD page blob: grant read access, let the storage service copy server-side (nothing passes
 * through the agent), follow the copy with progress, revoke access on success, failure and cancellation.
 */
export async function exportDiskToVhdBlob(
  ctx: AzureContext,
  options: ExportVhdOptions,
  hooks: {
    cleanup: CleanupStack;
    onSecret?: (value: string) => void;
    onProgress?: (copied: number, total: number) => void;
  },
): Promise<ExportVhdResult> {
  const started = Date.now();
  hooks.onSecret?.(options.targetBlobUrl);
  const target = new BlobClient(options.targetBlobUrl, new AnonymousCredential(), storageClientOptions(ctx));
  const exists = await target.exists({ abortSignal: ctx.abortSignal }).catch((e: unknown) => {
    if (isRestError(e) && (e.statusCode === 403 || e.statusCode === 401)) {
      throw new InputError(
        'blobUrl',
        `the storage account refused the SAS of ${redactUrl(options.targetBlobUrl)} (HTTP ${e.statusCode}); check its permissions and expiry`,
      );
    }
    throw e;
  });
  if (exists)
    throw new InputError(
      'blobUrl',
      `blob ${withoutQuery(options.targetBlobUrl)} already exists; choose another name or delete it`,
    );
  const client = computeClient(ctx, options.source.subscriptionId);
  const rg = options.source.resourceGroup!;
  const name = resourceName(options.source);
  const step = <T>(description: string, work: () => Promise<T>) =>
    namedStep(description, work, ctx.abortSignal);
  // Disks and snapshots grant and revoke access the same way, each through its own operations.
  const operations =
    resourceType(options.source).toLowerCase() === 'microsoft.compute/snapshots'
      ? client.snapshots
      : client.disks;
  const what = operations === client.snapshots ? 'snapshot' : 'disk';
  const revoke = (abortSignal?: AbortSignal) =>
    operations.revokeAccess(rg, name, { updateIntervalInMs: ctx.pollIntervalMs ?? 5_000, abortSignal });
  // Registered before access is asked for: when Azure grants it but the answer is lost, it is still revoked.
  const release = hooks.cleanup.defer(`read access (SAS) to ${what} ${name}`, (signal) => revoke(signal));
  const access = await step(`granting read access to ${what} '${name}'`, () =>
    operations.grantAccess(
      rg,
      name,
      { access: 'Read', durationInSeconds: options.sasDurationSeconds },
      lroOptions(ctx),
    ),
  );
  if (!access.accessSAS)
    throw new Error(`Azure granted read access to ${what} '${name}' but returned no SAS URL`);
  hooks.onSecret?.(access.accessSAS);
  const sas = access.accessSAS;
  // A copy that fails or is cancelled leaves a blob that is not the disk: stopped and deleted.
  const dropPartial = hooks.cleanup.defer(
    `partial blob ${withoutQuery(options.targetBlobUrl)}`,
    async (signal) => {
      const props = await target.getProperties({ abortSignal: signal }).catch(() => undefined);
      if (props?.copyStatus === 'pending' && props.copyId)
        await target.abortCopyFromURL(props.copyId, { abortSignal: signal }).catch(() => undefined);
      await target.deleteIfExists({ abortSignal: signal });
    },
  );
  const copied = await step(
    `copying ${what} '${name}' into ${withoutQuery(options.targetBlobUrl)}`,
    async () => {
      const poller = await target.beginCopyFromURL(sas, {
        abortSignal: ctx.abortSignal,
        intervalInMs: ctx.pollIntervalMs ?? 5_000,
        onProgress: (state) => {
          const [done, total] = (state.copyProgress ?? '0/0').split('/').map(Number);
          hooks.onProgress?.(done, total);
        },
      });
      return poller.pollUntilDone();
    },
  );
  if (copied.copyStatus !== 'success')
    throw new Error(`the copy into ${withoutQuery(options.targetBlobUrl)} ended ${copied.copyStatus}`);
  dropPartial();
  await step(`revoking read access to ${what} '${name}'`, () => revoke(ctx.abortSignal));
  release();
  const { contentLength = 0 } = await target.getProperties({ abortSignal: ctx.abortSignal });
  hooks.onProgress?.(contentLength, contentLength);
  return {
    vhdUrl: withoutQuery(options.targetBlobUrl),
    bytes: contentLength,
    durationMs: Date.now() - started,
  };
}
