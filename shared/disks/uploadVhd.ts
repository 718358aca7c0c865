import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Disk } from '@azure/arm-compute';
import type { CleanupStack } from '../azure/cleanup';
import { getIfExists } from '../azure/armLookup';
import { computeClient, lroOptions, storageClientOptions } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { step as namedStep } from '../azure/errors';
import { uploadFileToPageBlob, type PageUploadProgress } from '../blobs/pageUpload';
import { InputError } from '../validation/inputError';
import { inspectImageFile, validateFixedVhd } from '../vhd/inspect';
import { convertWithQemuImg } from '../vhd/qemuImg';
import { convertToFixedVhd } from '../vhd/toFixed';
import { checkUploadSize } from '../vhd/uploadRules';
import { VhdError } from '../vhd/vhdError';

export const DISK_SKUS = [
  'Standard_LRS',
  'StandardSSD_LRS',
  'Premium_LRS',
  'StandardSSD_ZRS',
  'Premium_ZRS',
] as const;
export type DiskSku = (typeof DISK_SKUS)[number];

export interface UploadVhdOptions {
  resourceGroup: string;
  diskName: string;
  location: string;
  vhdPath: string;
  osType?: 'Linux' | 'Windows';
  hyperVGeneration: 'V1' | 'V2';
  sku: DiskSku;
  /** How long the write SAS lives; Azure allows at most 60 days. */
  sasDurationSeconds: number;
  /** Convert raw, dynamic, unaligned, VHDX or qcow2 images to a fixed VHD first. */
  convert: boolean;
  /** Where a converted copy is written (the agent's temp directory). */
  workDir: string;
  tags?: Record<string, string>;
  concurrency?: number;
  /** Read every sent range back and compare digests (see PageUploadOptions.verifyByReadBack). */
  verifyByReadBack?: boolean;
}

export interface UploadVhdHooks {
  cleanup: CleanupStack;
  /** Called with every SAS before it is used, so the task can register it as a secret. */
  onSecret?: (value: string) => void;
  onProgress?: (p: PageUploadProgress & { phase: 'convert' | 'upload' }) => void;
}

export interface UploadVhdResult {
  diskId: string;
  fileBytes: number;
  bytesSent: number;
  bytesSkippedZero: number;
  rangesUnchanged: number;
  resumed: boolean;
  converted?: string;
  durationMs: number;
}

const RESUMABLE_STATES = ['ReadyToUpload', 'ActiveUpload'];

/** Turns a VhdError into an input error on the file input; anything else passes through. */
function asInputError(e: unknown): never {
  if (e instanceof VhdError) throw new InputError('vhdPath', e.message);
  throw e;
}

/** A fixed VHD ready for upload: the file itself, or a converted copy registered for removal. */
async function fixedVhdFor(
  options: UploadVhdOptions,
  hooks: UploadVhdHooks,
  signal: AbortSignal | undefined,
): Promise<{ path: string; converted?: string }> {
  const exists = await fs.stat(options.vhdPath).catch(() => undefined);
  if (!exists?.isFile())
    throw new InputError('vhdPath', `file '${options.vhdPath}' does not exist on the agent`);
  const info = await inspectImageFile(options.vhdPath).catch(asInputError);
  if (info.format === 'vhd-fixed') {
    try {
      await validateFixedVhd(options.vhdPath);
      return { path: options.vhdPath };
    } catch (e) {
      // Only an unaligned size can be repaired by converting; a corrupt or truncated file cannot.
      if (!(e instanceof VhdError) || !options.convert || e.code !== 'Unaligned') asInputError(e);
    }
  } else if (!options.convert) {
    await validateFixedVhd(options.vhdPath).catch(asInputError);
  }
  if (info.format === 'raw' && info.fileBytes % 512 !== 0) {
    asInputError(
      new VhdError(
        'NotSectorAligned',
        `'${options.vhdPath}' is taken for a raw disk image, but its size (${info.fileBytes} bytes) is not a whole number of 512-byte sectors: a disk image is made of whole sectors, so this file is cut short or is not a disk image`,
      ),
    );
  }
  if (info.format === 'vhd-differencing')
    asInputError(
      new VhdError(
        'Differencing',
        `'${options.vhdPath}' is a differencing VHD that needs its parent; merge it first`,
      ),
    );
  const output = path.join(options.workDir, `${path.basename(options.vhdPath)}.fixed-${process.pid}.vhd`);
  hooks.cleanup.defer(`converted copy ${output}`, () => fs.rm(output, { force: true }));
  const onProgress = (p: { bytesDone: number; bytesTotal: number }) =>
    hooks.onProgress?.({
      phase: 'convert',
      bytesSent: p.bytesDone,
      bytesToSend: p.bytesTotal,
      rangesDone: 0,
      rangesTotal: 0,
    });
  const convert = info.format === 'vhdx' || info.format === 'qcow2' ? convertWithQemuImg : convertToFixedVhd;
  await convert(options.vhdPath, output, { onProgress, signal }).catch(asInputError);
  return { path: output, converted: info.format };
}

/**
 * Local VHD → managed disk by direct upload: validate (and convert) the file before anything exists, create the
 * disk with createOption Upload and the exact upload size (OS type and generation are set now: Azure cannot
 * fix them later), grant write access, send only the ranges holding data, revoke access, and check the disk
 * is ready. Access is revoked on success, failure and cancellation (the cleanup stack). A disk left in
 * ReadyToUpload/ActiveUpload by an interrupted run is resumed: only ranges that differ are sent.
 */
export async function uploadVhdToManagedDisk(
  ctx: AzureContext,
  options: UploadVhdOptions,
  hooks: UploadVhdHooks,
): Promise<UploadVhdResult> {
  const started = Date.now();
  const source = await fixedVhdFor(options, hooks, ctx.abortSignal);
  const { size: fileBytes } = await fs.stat(source.path);
  try {
    checkUploadSize(fileBytes);
  } catch (e) {
    asInputError(e);
  }
  const client = computeClient(ctx);
  const name = options.diskName;
  const step = <T>(description: string, work: () => Promise<T>) =>
    namedStep(description, work, ctx.abortSignal);
  const existing = await step(`reading disk '${name}'`, () =>
    getIfExists(
      () => client.disks.get(options.resourceGroup, name, { abortSignal: ctx.abortSignal }),
      'resourceGroupName',
      options.resourceGroup,
    ),
  );
  let resumed = false;
  if (existing) {
    const resumable =
      RESUMABLE_STATES.includes(existing.diskState ?? '') &&
      existing.creationData?.uploadSizeBytes === fileBytes &&
      existing.creationData.createOption === 'Upload';
    if (!resumable) {
      throw new InputError(
        'targetName',
        `managed disk '${name}' already exists (state ${existing.diskState}, ${existing.diskSizeGB ?? '?'} GiB); choose another name or delete it`,
      );
    }
    resumed = true;
    ctx.logger.info(
      `Disk '${name}' is in state ${existing.diskState}, left by an upload that was stopped before it could clean up: resuming, sending only ranges that differ`,
    );
  } else {
    const disk: Disk = {
      location: options.location,
      sku: { name: options.sku },
      osType: options.osType,
      hyperVGeneration: options.hyperVGeneration,
      creationData: { createOption: 'Upload', uploadSizeBytes: fileBytes },
      tags: options.tags,
    };
    await step(`creating disk '${name}' for upload`, () =>
      client.disks.createOrUpdate(options.resourceGroup, name, disk, lroOptions(ctx)),
    );
    ctx.logger.info(
      `Created disk '${name}' for upload (${fileBytes} bytes, ${options.hyperVGeneration}${options.osType ? `, ${options.osType}` : ''})`,
    );
  }
  const diskId = `/subscriptions/${ctx.subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.Compute/disks/${name}`;
  // The cleanup path gets its own signal: on cancellation the task's signal is already aborted.
  const cleanupPoll = { updateIntervalInMs: ctx.pollIntervalMs ?? 5_000 };
  const revoke = (abortSignal?: AbortSignal) =>
    client.disks.revokeAccess(options.resourceGroup, name, { ...cleanupPoll, abortSignal });
  // Until every range is sent the disk is half-made: revoking its SAS turns it Unattached with whatever it got, so
  // on failure and cancellation it is revoked and deleted. Registered before access is asked for: when Azure grants
  // it but the answer is lost, the grant is still revoked.
  const dropIncomplete = hooks.cleanup.defer(
    `incomplete disk ${name} (write access revoked, disk deleted)`,
    async (signal) => {
      await revoke(signal);
      await client.disks.delete(options.resourceGroup, name, { ...cleanupPoll, abortSignal: signal });
    },
  );
  const access = await step(`granting write access to disk '${name}'`, () =>
    client.disks.grantAccess(
      options.resourceGroup,
      name,
      { access: 'Write', durationInSeconds: options.sasDurationSeconds },
      lroOptions(ctx),
    ),
  );
  const sas = access.accessSAS;
  if (!sas) throw new Error(`Azure granted write access to disk '${name}' but returned no SAS URL`);
  hooks.onSecret?.(sas);
  const upload = await step(`uploading ${source.path} to disk '${name}'`, () =>
    uploadFileToPageBlob(sas, source.path, {
      resume: resumed,
      concurrency: options.concurrency,
      verifyByReadBack: options.verifyByReadBack,
      abortSignal: ctx.abortSignal,
      logger: ctx.logger,
      clientOptions: storageClientOptions(ctx),
      onProgress: (p) => hooks.onProgress?.({ ...p, phase: 'upload' }),
    }),
  );
  await step(`revoking write access to disk '${name}'`, () => revoke(ctx.abortSignal));
  dropIncomplete();
  const disk = await step(`reading disk '${name}' after the upload`, () =>
    client.disks.get(options.resourceGroup, name, { abortSignal: ctx.abortSignal }),
  );
  if (disk.diskState !== 'Unattached') {
    throw new Error(`disk '${name}' is in state ${disk.diskState} after the upload; expected Unattached`);
  }
  return {
    diskId: disk.id ?? diskId,
    fileBytes,
    bytesSent: upload.bytesSent,
    bytesSkippedZero: upload.bytesSkippedZero,
    rangesUnchanged: upload.rangesUnchanged,
    resumed,
    converted: source.converted,
    durationMs: Date.now() - started,
  };
}
