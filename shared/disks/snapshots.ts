import { setTimeout as delay } from 'node:timers/promises';
import type { Disk, Snapshot } from '@azure/arm-compute';
import { refuseExisting } from '../azure/armLookup';
import { computeClient, lroOptions } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { createOrRemove, type CleanupStack } from '../azure/cleanup';
import { step } from '../azure/errors';
import { expectResourceType, resourceName, type ResourceId } from '../azure/resourceId';
import type { DiskSku } from './uploadVhd';

/** Poll options for a delete started by the cleanup stack, with the stack's own signal. */
export const cleanupPoll = (ctx: AzureContext, abortSignal: AbortSignal) => ({
  updateIntervalInMs: ctx.pollIntervalMs ?? 5_000,
  abortSignal,
});

export interface CopyTarget {
  resourceGroup: string;
  name: string;
  /** Empty: the source's region. */
  location?: string;
  tags?: Record<string, string>;
}

export interface CopyResult {
  id: string;
  osType?: string;
  hyperVGeneration?: string;
  diskSizeGB?: number;
}

/** A snapshot of a disk, checked once: the source must be a managed disk. */
export function snapshotRequest<T>(source: ResourceId, target: T): { source: ResourceId; target: T } {
  expectResourceType('sourceId', source, ['Microsoft.Compute/disks'], 'a managed disk');
  return { source, target };
}

/** A disk from a snapshot, checked once: the source must be a snapshot. */
export function diskFromSnapshotRequest<T>(source: ResourceId, target: T): { source: ResourceId; target: T } {
  expectResourceType('sourceId', source, ['Microsoft.Compute/snapshots'], 'a snapshot');
  return { source, target };
}

/**
 * Managed disk → snapshot (full, or incremental: only what changed since the disk's last incremental snapshot
 * is stored). OS type and Hyper-V generation are copied explicitly so the snapshot can become a bootable disk.
 */
export async function snapshotDisk(
  ctx: AzureContext,
  source: ResourceId,
  target: CopyTarget & { incremental: boolean },
  hooks: { cleanup?: CleanupStack } = {},
): Promise<CopyResult> {
  const client = computeClient(ctx);
  const disk = await computeClient(ctx, source.subscriptionId).disks.get(
    source.resourceGroup!,
    resourceName(source),
    { abortSignal: ctx.abortSignal },
  );
  await refuseExisting(() => client.snapshots.get(target.resourceGroup, target.name), {
    what: 'snapshot',
    ...target,
  });
  const body: Snapshot = {
    location: target.location ?? disk.location,
    incremental: target.incremental,
    osType: disk.osType,
    hyperVGeneration: disk.hyperVGeneration,
    creationData: { createOption: 'Copy', sourceResourceId: disk.id },
    tags: target.tags,
  };
  const snapshot = await step(
    `creating snapshot '${target.name}' of disk '${resourceName(source)}'`,
    () =>
      createOrRemove(
        hooks.cleanup,
        `snapshot ${target.name} (creation not finished)`,
        (signal) => client.snapshots.delete(target.resourceGroup, target.name, cleanupPoll(ctx, signal)),
        () => client.snapshots.createOrUpdate(target.resourceGroup, target.name, body, lroOptions(ctx)),
      ),
    ctx.abortSignal,
  );
  return {
    id: snapshot.id!,
    osType: snapshot.osType,
    hyperVGeneration: snapshot.hyperVGeneration,
    diskSizeGB: snapshot.diskSizeGB,
  };
}

/** Snapshot → managed disk, keeping the OS type and Hyper-V generation the snapshot carries. */
export async function diskFromSnapshot(
  ctx: AzureContext,
  source: ResourceId,
  target: CopyTarget & { sku: DiskSku },
  hooks: { cleanup?: CleanupStack } = {},
): Promise<CopyResult> {
  const client = computeClient(ctx);
  const snapshot = await computeClient(ctx, source.subscriptionId).snapshots.get(
    source.resourceGroup!,
    resourceName(source),
    { abortSignal: ctx.abortSignal },
  );
  await refuseExisting(() => client.disks.get(target.resourceGroup, target.name), {
    what: 'managed disk',
    ...target,
  });
  const body: Disk = {
    location: target.location ?? snapshot.location,
    sku: { name: target.sku },
    osType: snapshot.osType,
    hyperVGeneration: snapshot.hyperVGeneration,
    creationData: { createOption: 'Copy', sourceResourceId: snapshot.id },
    tags: target.tags,
  };
  const disk = await step(
    `creating disk '${target.name}' from snapshot '${resourceName(source)}'`,
    () =>
      createOrRemove(
        hooks.cleanup,
        `managed disk ${target.name} (creation not finished)`,
        (signal) => client.disks.delete(target.resourceGroup, target.name, cleanupPoll(ctx, signal)),
        () => client.disks.createOrUpdate(target.resourceGroup, target.name, body, lroOptions(ctx)),
      ),
    ctx.abortSignal,
  );
  return {
    id: disk.id!,
    osType: disk.osType,
    hyperVGeneration: disk.hyperVGeneration,
    diskSizeGB: disk.diskSizeGB,
  };
}

/**
 * An incremental snapshot copied to another region (createOption CopyStart): Azure accepts the snapshot at once
 * and copies in the background, reporting `completionPercent`; the copy can be used only at 100, so this waits
 * for that, reporting progress.
 */
export async function copySnapshotToRegion(
  ctx: AzureContext,
  sourceSnapshotId: string,
  target: CopyTarget & { location: string },
  onProgress?: (percent: number) => void,
): Promise<Snapshot> {
  const client = computeClient(ctx);
  const body: Snapshot = {
    location: target.location,
    incremental: true,
    creationData: { createOption: 'CopyStart', sourceResourceId: sourceSnapshotId },
    tags: target.tags,
  };
  let snapshot = await step(
    `starting the copy of snapshot '${sourceSnapshotId.split('/').pop()}' to ${target.location}`,
    () => client.snapshots.createOrUpdate(target.resourceGroup, target.name, body, lroOptions(ctx)),
    ctx.abortSignal,
  );
  while ((snapshot.completionPercent ?? 100) < 100) {
    onProgress?.(snapshot.completionPercent ?? 0);
    await delay(ctx.pollIntervalMs ?? 10_000, undefined, { signal: ctx.abortSignal });
    snapshot = await step(
      `reading the copy progress of snapshot '${target.name}'`,
      () => client.snapshots.get(target.resourceGroup, target.name, { abortSignal: ctx.abortSignal }),
      ctx.abortSignal,
    );
  }
  onProgress?.(100);
  return snapshot;
}
