import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { storageClientOptions } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { step } from '../../azure/errors';
import { IP_STYLE, parseBlobUrl } from '../../blobs/blobUrl';
import { userDelegationUrl } from '../../blobs/readSas';
import { InputError } from '../../validation/inputError';

/** A local file the build reads from a blob: its URL with a read SAS, and its SHA-256 for the service to check. */
export interface StagedFile {
  url: string;
  sha256: string;
}

export interface StagedFiles {
  /** `https://account.blob.../container/prefix/`: where the files are, without any SAS. */
  prefixUrl: string;
  files: Map<string, StagedFile>;
}

/**
 * Uploads the files a build needs (scripts, files to copy in) to a folder of their own in the given container,
 * with the connection's Entra ID token, and signs each with a user delegation read SAS that lasts as long as the
 * build may: Image Builder downloads them while it builds. No account key is read; the SAS is a secret.
 */
export async function stageFiles(
  ctx: AzureContext,
  input: string,
  containerUrl: string,
  files: string[],
  sasSeconds: number,
  onSecret: (value: string) => void,
): Promise<StagedFiles> {
  const base = containerUrl.split('?')[0].replace(/\/+$/, '');
  const parsed = parseBlobUrl(input, `${base}/probe`);
  if (parsed.blob !== 'probe')
    throw new InputError(
      input,
      `'${containerUrl}' must be a container URL, e.g. https://account.blob.core.windows.net/build-scripts`,
    );
  const container = new ContainerClient(base, ctx.credential, storageClientOptions(ctx));
  const prefix = `vm-image-lifecycle/${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  const staged = new Map<string, StagedFile>();
  for (const [k, file] of [...new Set(files)].entries()) {
    const data = fs.readFileSync(file);
    const blobName = `${prefix}/${k + 1}-${path.basename(file)}`;
    await step(
      `uploading '${path.basename(file)}' to ${base}`,
      () =>
        container.getBlockBlobClient(blobName).uploadData(data, {
          abortSignal: ctx.abortSignal,
          blobHTTPHeaders: { blobContentType: 'text/plain' },
        }),
      ctx.abortSignal,
    );
    const { url } = await userDelegationUrl(ctx, input, `${base}/${blobName}`, sasSeconds, 'r');
    onSecret(new URL(url).searchParams.get('sig') ?? url);
    onSecret(url);
    staged.set(file, { url, sha256: createHash('sha256').update(data).digest('hex') });
  }
  return { prefixUrl: `${base}/${prefix}/`, files: staged };
}

/** Deletes a staged folder (every blob under the prefix). */
export async function removeStagedFiles(
  ctx: AzureContext,
  prefixUrl: string,
  signal?: AbortSignal,
): Promise<void> {
  const url = new URL(prefixUrl);
  const parts = url.pathname.split('/').filter(Boolean);
  // IP-style URLs (emulator) carry the account name as the first path segment.
  const containerIndex = IP_STYLE.test(url.hostname) ? 1 : 0;
  const containerUrl = `${url.origin}/${parts.slice(0, containerIndex + 1).join('/')}`;
  const prefix = parts.slice(containerIndex + 1).join('/') + '/';
  const container = new ContainerClient(containerUrl, ctx.credential, storageClientOptions(ctx));
  for await (const blob of container.listBlobsFlat({ prefix, abortSignal: signal }))
    await container.deleteBlob(blob.name, { abortSignal: signal });
}
