import type { Image, ImageDisk, OperatingSystemTypes } from '@azure/arm-compute';
import { isRestError } from '@azure/core-rest-pipeline';
import { refuseExisting } from '../azure/armLookup';
import { computeClient, lroOptions } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import {
  expectResourceType,
  formatResourceId,
  resourceName,
  resourceType,
  type ResourceId,
} from '../azure/resourceId';
import { InputError } from '../validation/inputError';
import { cleanupPoll, type CopyResult, type CopyTarget } from './snapshots';
import { createOrRemove, type CleanupStack } from '../azure/cleanup';
import { step } from '../azure/errors';

export interface ManagedImageOptions {
  osSource: ResourceId;
  dataSources: ResourceId[];
  /** LUN of each data source (default: their order, 0, 1, …); a copy keeps the LUNs of its source. */
  dataLuns?: number[];
  osState: 'Generalized' | 'Specialized';
  target: CopyTarget;
}

const DISK_OR_SNAPSHOT = ['Microsoft.Compute/disks', 'Microsoft.Compute/snapshots'];

/** The image request, checked once: every source is a managed disk or a snapshot. */
export function managedImageRequest(options: ManagedImageOptions): ManagedImageOptions {
  expectResourceType('sourceId', options.osSource, DISK_OR_SNAPSHOT, 'a managed disk or snapshot');
  for (const d of options.dataSources)
    expectResourceType('dataDiskIds', d, DISK_OR_SNAPSHOT, 'a managed disk or snapshot');
  return options;
}

interface SourceFacts {
  reference: ImageDisk;
  osType?: OperatingSystemTypes;
  hyperVGeneration?: string;
  location: string;
}

async function describeSource(ctx: AzureContext, source: ResourceId, input: string): Promise<SourceFacts> {
  const type = resourceType(source).toLowerCase();
  const client = computeClient(ctx, source.subscriptionId);
  const get = async () => {
    if (type === 'microsoft.compute/disks')
      return client.disks.get(source.resourceGroup!, resourceName(source), { abortSignal: ctx.abortSignal });
    return client.snapshots.get(source.resourceGroup!, resourceName(source), {
      abortSignal: ctx.abortSignal,
    });
  };
  const found = await get().catch((e: unknown) => {
    if (isRestError(e) && e.statusCode === 404)
      throw new InputError(input, `${formatResourceId(source)} does not exist`);
    throw e;
  });
  const id = { id: found.id ?? formatResourceId(source) };
  return {
    reference: type === 'microsoft.compute/disks' ? { managedDisk: id } : { snapshot: id },
    osType: found.osType,
    hyperVGeneration: found.hyperVGeneration,
    location: found.location,
  };
}

/**
 * Disk or snapshot (plus data disks or snapshots) → managed image. The image takes the Hyper-V generation and
 * OS type of its OS source, so a V2 disk never becomes a V1 image (a mismatch Azure only reports later, when a
 * VM fails to boot or the request is refused).
 */
export async function createManagedImage(
  ctx: AzureContext,
  options: ManagedImageOptions,
  hooks: { cleanup?: CleanupStack } = {},
): Promise<CopyResult> {
  const os = await describeSource(ctx, options.osSource, 'sourceId');
  if (!os.osType) {
    throw new InputError(
      'sourceId',
      `${formatResourceId(options.osSource)} has no OS type; set it on the disk (or create it with ConvertDisk, which does) before making an image`,
    );
  }
  const data = [];
  for (const source of options.dataSources) data.push(await describeSource(ctx, source, 'dataDiskIds'));
  const client = computeClient(ctx);
  await refuseExisting(() => client.images.get(options.target.resourceGroup, options.target.name), {
    what: 'managed image',
    ...options.target,
  });
  const body: Image = {
    location: options.target.location ?? os.location,
    hyperVGeneration: os.hyperVGeneration ?? 'V1',
    storageProfile: {
      osDisk: { ...os.reference, osType: os.osType, osState: options.osState },
      dataDisks: data.map((d, k) => ({ ...d.reference, lun: options.dataLuns?.[k] ?? k })),
    },
    tags: options.target.tags,
  };
  const { resourceGroup, name } = options.target;
  const image = await step(
    `creating managed image '${name}'`,
    () =>
      createOrRemove(
        hooks.cleanup,
        `managed image ${name} (creation not finished)`,
        (signal) => client.images.delete(resourceGroup, name, cleanupPoll(ctx, signal)),
        () => client.images.createOrUpdate(resourceGroup, name, body, lroOptions(ctx)),
      ),
    ctx.abortSignal,
  );
  return { id: image.id!, osType: os.osType, hyperVGeneration: image.hyperVGeneration };
}
