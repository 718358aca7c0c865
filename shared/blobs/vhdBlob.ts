import { isRestError } from '@azure/core-rest-pipeline';
import { AnonymousCredential, BlobClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { redactUrl } from '../azure/redact';
import { parseBlobUrl } from './blobUrl';
import { InputError } from '../validation/inputError';
import { checkFixedFooter } from '../vhd/fixedFooter';
import { DiskType, FOOTER_SIZE, parseFooter, type VhdFooter } from '../vhd/footer';
import { checkUploadSize } from '../vhd/uploadRules';
import { VhdError } from '../vhd/vhdError';

export interface VhdBlobInfo {
  /** The blob URL without its query (SAS). */
  url: string;
  /** Storage account name, from the host (`{account}.blob.…`) or, for IP-style URLs (emulator, Azure Stack), the path. */
  accountName: string;
  sizeBytes: number;
  footer: VhdFooter;
}

/**
 * Reads what a VHD blob is before Azure is asked to import it, so a wrong blob fails in seconds with the reason
 * instead of minutes later with a disk in state Failed: page blob, size Azure accepts, fixed VHD footer.
 * Needs read access from the agent (a SAS with r, or a public blob).
 */
export async function inspectVhdBlob(
  input: string,
  blobUrl: string,
  options: { clientOptions?: StoragePipelineOptions; abortSignal?: AbortSignal } = {},
): Promise<VhdBlobInfo> {
  const { accountName } = parseBlobUrl(input, blobUrl);
  const url = blobUrl.split('?')[0];
  const client = new BlobClient(blobUrl, new AnonymousCredential(), options.clientOptions);
  const props = await client.getProperties({ abortSignal: options.abortSignal }).catch((e: unknown) => {
    if (isRestError(e) && e.statusCode === 404)
      throw new InputError(
        input,
        `blob ${url} does not exist (or the container is private and the URL has no SAS)`,
      );
    if (isRestError(e) && (e.statusCode === 401 || e.statusCode === 403)) {
      throw new InputError(
        input,
        `the agent cannot read ${redactUrl(blobUrl)} (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ''}): ` +
          `give the URL with a SAS that allows read (r), valid now, so the VHD can be checked before Azure imports it`,
      );
    }
    throw e;
  });
  if (props.blobType !== 'PageBlob') {
    throw new InputError(
      input,
      `${url} is a ${props.blobType ?? 'blob of unknown type'}; Azure imports only page blobs (upload with --blob-type PageBlob)`,
    );
  }
  const sizeBytes = props.contentLength ?? 0;
  const asInput = (e: unknown): never => {
    throw e instanceof VhdError ? new InputError(input, `${url}: ${e.message}`) : e;
  };
  if (sizeBytes < FOOTER_SIZE)
    throw new InputError(input, `${url} is ${sizeBytes} bytes: too short to be a VHD`);
  const tail = await client.downloadToBuffer(sizeBytes - FOOTER_SIZE, FOOTER_SIZE, {
    abortSignal: options.abortSignal,
  });
  const footer = parseFooter(tail);
  if (!footer) {
    throw new InputError(
      input,
      `${url} is not a VHD: its last 512 bytes are not a VHD footer (cookie 'conectix')`,
    );
  }
  if (footer.diskType !== DiskType.Fixed) {
    throw new InputError(
      input,
      `${url} is a ${footer.diskType === DiskType.Dynamic ? 'dynamic' : 'differencing'} VHD; Azure imports fixed VHDs only`,
    );
  }
  try {
    checkUploadSize(
      sizeBytes,
      'Resize the image to a whole number of MiB (qemu-img resize), or upload it from the agent with conversion vhdToDisk, which rounds it up',
    );
  } catch (e) {
    asInput(e);
  }
  try {
    checkFixedFooter(url, footer, sizeBytes);
  } catch (e) {
    asInput(e);
  }
  return { url, accountName, sizeBytes, footer };
}
