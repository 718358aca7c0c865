import type { ComputeManagementClient, Image } from '@azure/arm-compute';
import { getIfExists } from '../azure/armLookup';
import { computeClient, lroOptions } from '../azure/clients';
import type { CleanupStack } from '../azure/cleanup';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import {
  expectResourceType,
  formatResourceId,
  parseResourceId,
  sameResourceId,
  type ResourceId,
} from '../azure/resourceId';
import { Temporaries } from '../azure/temporaries';
import { diskFromImage } from '../disks/diskFromImage';
import { createManagedImage } from '../disks/managedImage';
import { cleanupPoll, copySnapshotToRegion, snapshotDisk } from '../disks/snapshots';
import { InputError } from '../validation/inputError';
import { readSourceImage, type SourceDisk, type SourceImage } from './imageSource';
import {
  copyDestinations,
  describeDestination,
  forEachTarget,
  type CopyDestination,
  type DestinationInputs,
  type TargetOutcome,
} from './targets';

/** Tag on every copy: which image it was copied from. A re-run finds finished copies by it and leaves them. */
export const COPIED_FROM_TAG = 'copiedFrom';

export interface ImageCopyRequest {
  /** A managed image, or a snapshot (which becomes a managed image with `osState`). */
  source: ResourceId;
  osState: 'Generalized' | 'Specialized';
  destinations: DestinationInputs;
  overwrite: boolean;
  /** How many targets are copied at the same time. */
  maxParallel: number;
}

export interface ImageCopyResult {
  imageId: string;
  /** What Azure copied, one line per disk ("OS disk, 30 GiB, snapshot copied to eastus"). */
  copied: string[];
  crossRegion: boolean;
  /** Temporary disks and snapshots removed at the end. */
  cleanedUp: string[];
}

export interface ImageCopyHooks {
  cleanup?: CleanupStack;
  /** Progress of one target (index into the outcomes), 0–100. */
  onProgress?: (target: number, percent: number) => void;
}

const NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,78}[a-zA-Z0-9_])?$/;

/** The copy request, checked once without Azure: source type, names, parallelism. */
export function imageCopyRequest(request: ImageCopyRequest): ImageCopyRequest {
  expectResourceType(
    'sourceImageId',
    request.source,
    ['Microsoft.Compute/images', 'Microsoft.Compute/snapshots'],
    'a managed image or a snapshot (for a gallery image version choose copyType galleryVersion)',
  );
  const name = request.destinations.name?.trim();
  if (name && !NAME.test(name)) {
    throw new InputError(
      'targetImageName',
      `'${name}' is not a valid image name: 1–80 letters, digits, '_', '.', '-', starting with a letter or digit and ending with a letter, digit or '_'`,
    );
  }
  if (!Number.isInteger(request.maxParallel) || request.maxParallel < 1 || request.maxParallel > 16)
    throw new InputError('maxParallelTargets', `${request.maxParallel} is out of range; give 1 to 16`);
  copyDestinations(request.destinations, {
    subscriptionId: request.source.subscriptionId,
    location: 'westeurope',
    name: 'x',
  });
  return request;
}

interface Plan {
  target: CopyDestination;
  existing?: Image;
  action: 'copy' | 'replace' | 'unchanged';
}

/**
 * Managed image (or snapshot) → managed image in other resource groups, subscriptions and regions, server-side:
 * every disk is made from the image itself (createOption FromImage), copied to another region as an incremental
 * snapshot with CopyStart, and becomes the new image with its LUNs, generation, OS type and state and tags, which
 * are checked at the end. Nothing passes through the agent. Every target is checked before anything is written.
 */
export async function copyManagedImage(
  ctx: AzureContext,
  request: ImageCopyRequest,
  hooks: ImageCopyHooks = {},
): Promise<{ source: SourceImage; outcomes: TargetOutcome<ImageCopyResult>[] }> {
  const source = await readSourceImage(ctx, request.source, request.osState);
  const targets = copyDestinations(request.destinations, {
    subscriptionId: ctx.subscriptionId,
    location: source.location,
    name: source.name,
  });
  const plans: Plan[] = [];
  for (const target of targets) plans.push(await planTarget(ctx, source, target, request.overwrite));
  ctx.logger.info(
    `Copying ${source.kind === 'managedImage' ? 'managed image' : 'snapshot'} ${source.id} (${source.osType}, ${source.osState}, Hyper-V ${source.hyperVGeneration}, ${source.disks.length} disk(s), ${source.location}) to ${targets.length} target(s), ${request.maxParallel} at a time`,
  );
  const outcomes = await forEachTarget(
    targets,
    request.maxParallel,
    ctx.abortSignal,
    async (target, index) => {
      const plan = plans[index];
      if (plan.action === 'unchanged') {
        ctx.logger.info(`${describeDestination(target)}: already copied from this source, nothing to do`);
        hooks.onProgress?.(index, 100);
        return {
          status: 'unchanged' as const,
          result: { imageId: plan.existing!.id!, copied: [], crossRegion: false, cleanedUp: [] },
        };
      }
      const result = await copyToTarget(
        ctx,
        source,
        plan,
        (p) => hooks.onProgress?.(index, p),
        hooks.cleanup,
      );
      return { status: plan.action === 'replace' ? ('replaced' as const) : ('copied' as const), result };
    },
  );
  return { source, outcomes };
}

function targetContext(ctx: AzureContext, target: CopyDestination): AzureContext {
  return { ...ctx, subscriptionId: target.subscriptionId };
}

async function planTarget(
  ctx: AzureContext,
  source: SourceImage,
  target: CopyDestination,
  overwrite: boolean,
): Promise<Plan> {
  const id = formatResourceId({
    subscriptionId: target.subscriptionId,
    resourceGroup: target.resourceGroup,
    provider: 'Microsoft.Compute',
    types: ['images'],
    names: [target.name],
  });
  if (sameResourceId(id, source.id)) {
    throw new InputError(
      'targetImageName',
      `the target ${id} is the source itself; give another name, resource group, subscription or region`,
    );
  }
  const client = computeClient(targetContext(ctx, target));
  const existing = await getIfExists(
    () => client.images.get(target.resourceGroup, target.name, { abortSignal: ctx.abortSignal }),
    'targetResourceGroupName',
    target.resourceGroup,
  );
  if (!existing) return { target, action: 'copy' };
  const copiedFrom = existing.tags?.[COPIED_FROM_TAG];
  if (
    copiedFrom &&
    sameResourceId(copiedFrom, source.id) &&
    existing.provisioningState === 'Succeeded' &&
    existing.location === target.location
  ) {
    return { target, existing, action: 'unchanged' };
  }
  if (!overwrite) {
    throw new InputError(
      'targetImageName',
      `managed image '${target.name}' already exists in resource group '${target.resourceGroup}' (subscription ${target.subscriptionId})${copiedFrom ? `, copied from ${copiedFrom}` : ''}; choose another name, or set overwrite to replace it`,
    );
  }
  return { target, existing, action: 'replace' };
}

/** A temporary resource's name: the target's name (shortened to leave room) and what it holds. */
function temporaryName(target: CopyDestination, disk: SourceDisk, what: string): string {
  return `${target.name.slice(0, 56)}-copy-${disk.key}-${what}`;
}

async function copyToTarget(
  ctx: AzureContext,
  source: SourceImage,
  plan: Plan,
  onProgress: (percent: number) => void,
  cleanup?: CleanupStack,
): Promise<ImageCopyResult> {
  const { target } = plan;
  const tctx = targetContext(ctx, target);
  const client = computeClient(tctx);
  const temporaries = new Temporaries(cleanup);
  const crossRegion = target.location !== source.location;
  if (plan.action === 'replace') {
    ctx.logger.info(`${describeDestination(target)}: replacing the existing image (overwrite is set)`);
    await step(
      `deleting image '${target.name}' to replace it`,
      () => client.images.delete(target.resourceGroup, target.name, lroOptions(tctx)),
      ctx.abortSignal,
    );
  }
  const percents = source.disks.map(() => 0);
  const report = (k: number, p: number) => {
    percents[k] = p;
    onProgress((percents.reduce((a, b) => a + b, 0) / percents.length) * 0.9);
  };
  const prepared = await Promise.all(
    source.disks.map((disk, k) =>
      prepareDisk(tctx, client, source, target, disk, temporaries, (p) => report(k, p)),
    ),
  );
  const os = prepared[0];
  const data = prepared.slice(1);
  const tags = { ...source.tags, [COPIED_FROM_TAG]: source.id };
  // Removed again if the check below finds the copy differs from its source: no half-right image is left.
  const image = await createManagedImage(
    tctx,
    {
      osSource: parseResourceId(os.id, { input: 'sourceImageId' }),
      dataSources: data.map((d) => parseResourceId(d.id, { input: 'sourceImageId' })),
      dataLuns: source.disks.slice(1).map((d) => d.lun!),
      osState: source.osState,
      target: { resourceGroup: target.resourceGroup, name: target.name, location: target.location, tags },
    },
    { cleanup },
  );
  const unverified = cleanup?.defer(`managed image ${target.name} (copy not verified)`, async (signal) => {
    await client.images.delete(target.resourceGroup, target.name, cleanupPoll(tctx, signal));
  });
  const copy = await client.images.get(target.resourceGroup, target.name, { abortSignal: ctx.abortSignal });
  const differences = compareWithSource(source, copy);
  if (differences.length > 0) {
    throw new Error(`the copy ${image.id} differs from its source: ${differences.join('; ')}`);
  }
  unverified?.();
  ctx.logger.info(
    `${describeDestination(target)}: image ${image.id} made and checked (generation, OS type and state, LUNs, tags)`,
  );
  const cleanedUp = await step(
    'removing the temporary disks and snapshots',
    () => temporaries.removeAll(),
    ctx.abortSignal,
  );
  ctx.logger.info(`${target.name}: removed ${cleanedUp.join(', ') || 'no temporaries'}`);
  onProgress(100);
  return { imageId: image.id, copied: prepared.map((p) => p.copied), crossRegion, cleanedUp };
}

/**
 * Makes what the new image references for one disk: same region, a disk made from the image (or the snapshot
 * itself); another region, an incremental snapshot of that disk copied there with CopyStart. Each step's result
 * is a temporary resource, removed once the image holds its own copy.
 */
async function prepareDisk(
  ctx: AzureContext,
  client: ComputeManagementClient,
  source: SourceImage,
  target: CopyDestination,
  disk: SourceDisk,
  temporaries: Temporaries,
  onProgress: (percent: number) => void,
): Promise<{ id: string; copied: string }> {
  const rg = target.resourceGroup;
  const crossRegion = target.location !== source.location;
  const size = disk.sizeGB ? `, ${disk.sizeGB} GiB` : '';
  const label = disk.lun === undefined ? `OS disk${size}` : `data disk LUN ${disk.lun}${size}`;
  const tags = { [COPIED_FROM_TAG]: source.id };
  const removeDisk = (name: string) => (signal: AbortSignal) =>
    client.disks.delete(rg, name, cleanupPoll(ctx, signal));
  const removeSnapshot = (name: string) => (signal: AbortSignal) =>
    client.snapshots.delete(rg, name, cleanupPoll(ctx, signal));

  // A run whose cleanup could not finish leaves temporaries tagged with their source: the next run reuses them.
  const leftover = async (kind: 'disk' | 'snapshot', name: string): Promise<string | undefined> => {
    const get = (): Promise<{ id?: string; tags?: Record<string, string>; provisioningState?: string }> =>
      kind === 'disk' ? client.disks.get(rg, name) : client.snapshots.get(rg, name);
    const found = await getIfExists(get, 'targetResourceGroupName', rg);
    if (!found) return undefined;
    const ours = found.tags?.[COPIED_FROM_TAG];
    if (!ours || !sameResourceId(ours, source.id) || found.provisioningState !== 'Succeeded') {
      throw new InputError(
        'targetImageName',
        `the ${kind} '${name}' this copy needs as a temporary already exists in '${rg}' and was not made by a copy of this source; delete it or choose another target name`,
      );
    }
    ctx.logger.info(`Reusing the ${kind} '${name}' left by an earlier run`);
    temporaries.keep(`temporary ${kind} ${name}`, kind === 'disk' ? removeDisk(name) : removeSnapshot(name));
    return found.id;
  };
  const temporary = async (
    kind: 'disk' | 'snapshot',
    name: string,
    description: string,
    create: () => Promise<{ id?: string }>,
  ): Promise<string> => {
    const reused = await leftover(kind, name);
    if (reused) return reused;
    ctx.logger.info(`${target.name}: ${label}: ${description}`);
    const made = await temporaries.create(
      description,
      kind === 'disk' ? removeDisk(name) : removeSnapshot(name),
      create,
    );
    return made.id!;
  };

  let regional: string = source.id;
  let incremental = source.kind === 'snapshot' && source.incremental === true;
  if (source.kind === 'managedImage' || (crossRegion && !incremental)) {
    const name = temporaryName(target, disk, 'disk');
    regional = await temporary('disk', name, `temporary disk ${name}`, () =>
      source.kind === 'managedImage'
        ? diskFromImage(
            ctx,
            { id: source.id, location: source.location, lun: disk.lun },
            { resourceGroup: rg, name, tags },
          )
        : copyOfSnapshot(ctx, source, rg, name, tags),
    );
    incremental = false;
  }
  onProgress(crossRegion ? 10 : 100);
  if (!crossRegion) {
    const from = source.kind === 'managedImage' ? 'a disk made from the image' : 'the snapshot';
    return { id: regional, copied: `${label}, from ${from}` };
  }
  if (!incremental) {
    const name = temporaryName(target, disk, 'snap');
    regional = await temporary('snapshot', name, `temporary snapshot ${name}`, () =>
      snapshotDisk(ctx, parseResourceId(regional, { input: 'sourceImageId' }), {
        resourceGroup: rg,
        name,
        location: source.location,
        incremental: true,
        tags,
      }),
    );
  }
  onProgress(20);
  const name = temporaryName(target, disk, target.location).slice(0, 80);
  const copiedId = await temporary('snapshot', name, `temporary snapshot ${name} (${target.location})`, () =>
    copySnapshotToRegion(ctx, regional, { resourceGroup: rg, name, location: target.location, tags }, (p) =>
      onProgress(20 + p * 0.8),
    ),
  );
  return {
    id: copiedId,
    copied: `${label}, incremental snapshot copied ${source.location} → ${target.location}`,
  };
}

/** A full snapshot cannot be copied across regions; a disk of it can be snapshotted incrementally. */
async function copyOfSnapshot(
  ctx: AzureContext,
  source: SourceImage,
  resourceGroup: string,
  name: string,
  tags: Record<string, string>,
) {
  return step(
    `creating disk '${name}' from snapshot '${source.name}'`,
    () =>
      computeClient(ctx).disks.createOrUpdate(
        resourceGroup,
        name,
        {
          location: source.location,
          osType: source.osType as 'Linux' | 'Windows',
          hyperVGeneration: source.hyperVGeneration,
          creationData: { createOption: 'Copy', sourceResourceId: source.id },
          tags,
        },
        lroOptions(ctx),
      ),
    ctx.abortSignal,
  );
}

/** What the copy must have kept: generation, OS type and state, the LUNs, the source's tags. */
export function compareWithSource(source: SourceImage, copy: Image): string[] {
  const differences: string[] = [];
  const expect = (what: string, want: unknown, got: unknown) => {
    if (String(want) !== String(got))
      differences.push(`${what} is ${String(got)}, the source's is ${String(want)}`);
  };
  expect('the Hyper-V generation', source.hyperVGeneration, copy.hyperVGeneration ?? 'V1');
  expect('the OS type', source.osType, copy.storageProfile?.osDisk?.osType);
  expect('the OS state', source.osState, copy.storageProfile?.osDisk?.osState);
  const luns = (list: (number | undefined)[]) => list.sort((a, b) => Number(a) - Number(b)).join(',');
  expect(
    'the data disk LUN list',
    luns(source.disks.slice(1).map((d) => d.lun)),
    luns((copy.storageProfile?.dataDisks ?? []).map((d) => d.lun)),
  );
  for (const [key, value] of Object.entries(source.tags)) expect(`tag '${key}'`, value, copy.tags?.[key]);
  return differences;
}
