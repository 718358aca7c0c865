import { randomUUID } from 'node:crypto';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type ContainerClient,
} from '@azure/storage-blob';
import type { AzuriteInstance } from '../../azurite';
import { ArmError, armErrors } from '../errors';
import { resourceBody, type ResourceStore, type StoredResource } from '../store';
import { requiredLocation } from './location';
import { trackedResource } from './tracked';
import type { ResourceTypeSpec } from './types';

/*
 * Microsoft.Compute/disks shaped on DiskRP.json: direct upload (createOption Upload, diskState ReadyToUpload ->
 * ActiveUpload -> Unattached), read access (ActiveSAS), and a delete that Azure refuses while a SAS is open.
 * Each disk's bytes live in an Azurite page blob; a SAS is tied to a stored access policy, so endGetAccess
 * really revokes it (the SAS stops working), as in Azure.
 */

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const SKUS = [
  'Standard_LRS',
  'Premium_LRS',
  'StandardSSD_LRS',
  'UltraSSD_LRS',
  'Premium_ZRS',
  'StandardSSD_ZRS',
  'PremiumV2_LRS',
];
const MAX_SAS_SECONDS = 5_184_000;

type Props = Record<string, unknown>;

export interface DiskBlobs {
  container(disk: StoredResource): ContainerClient;
  /** The container of bytes kept under a unique id (a disk's, a snapshot's, or a managed image's own disk). */
  containerFor(uniqueId: string): ContainerClient;
  /** A blob's URL as handed out (through the counting front when there is one). */
  publicUrl(container: string, blob: string): string;
  blobUrl(disk: StoredResource): string;
  pending: Promise<unknown>[];
}

/** `publicEndpoint`: where the URLs handed out (access SAS) point, e.g. a counting front; copies stay direct. */
export function diskBlobs(
  blob: AzuriteInstance,
  publicEndpoint: (account: string) => string = (a) => blob.blobEndpoint(a),
): DiskBlobs {
  const account = blob.accounts[0];
  const service = new BlobServiceClient(
    blob.blobEndpoint(account.name),
    new StorageSharedKeyCredential(account.name, account.key),
    blob.clientOptions,
  );
  const named = (uniqueId: string) => `md-${uniqueId.replace(/-/g, '')}`;
  const containerName = (disk: StoredResource) => named(String(disk.properties.uniqueId));
  return {
    container: (disk) => service.getContainerClient(containerName(disk)),
    containerFor: (uniqueId) => service.getContainerClient(named(uniqueId)),
    blobUrl: (disk) => `${publicEndpoint(account.name)}/${containerName(disk)}/abcd`,
    publicUrl: (container, blobName) => `${publicEndpoint(account.name)}/${container}/${blobName}`,
    pending: [],
  };
}

function sasFor(blobs: DiskBlobs, blob: AzuriteInstance, disk: StoredResource, identifier: string): string {
  const account = blob.accounts[0];
  const container = blobs.container(disk).containerName;
  const sas = generateBlobSASQueryParameters(
    { containerName: container, blobName: 'abcd', identifier },
    new StorageSharedKeyCredential(account.name, account.key),
  ).toString();
  return `${blobs.blobUrl(disk)}?${sas}`;
}

function copySource(store: ResourceStore, sourceId: unknown): StoredResource {
  const source = typeof sourceId === 'string' ? store.get(sourceId) : undefined;
  if (!source || !/^Microsoft\.Compute\/(disks|snapshots)$/i.test(source.type)) {
    throw new ArmError(
      404,
      'NotFound',
      `Source resource '${String(sourceId)}' was not found or is not a disk or snapshot.`,
    );
  }
  refuseWhileCopying(source, 'copy it');
  if (source.properties.diskState === 'ActiveUpload' || source.properties.diskState === 'ReadyToUpload') {
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Source disk '${source.name}' is in state ${String(source.properties.diskState)}; finish its upload first.`,
    );
  }
  return source;
}

/** How far a CopyStart snapshot has come (100 for every other disk or snapshot). */
function completionPercent(r: StoredResource): number {
  const copy = r.properties.copyStart as { startedAt: number; durationMs: number } | undefined;
  if (!copy) return 100;
  return Math.min(100, Math.floor(((Date.now() - copy.startedAt) / copy.durationMs) * 100));
}

/** A snapshot still copying to its region can be neither read nor copied, as in Azure. */
export function refuseWhileCopying(r: StoredResource, what: string): void {
  const percent = completionPercent(r);
  if (percent < 100)
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Snapshot '${r.name}' is still being copied to its region (completionPercent ${percent}); ${what} once it reaches 100.`,
    );
}

/**
 * createOption Copy reads its source in place: Azure refuses it across regions (a copy to another region is an
 * incremental snapshot made with CopyStart).
 */
function sameRegionCopy(source: StoredResource, location: string): void {
  if (source.location && source.location !== location)
    throw armErrors.invalidParameter(
      `The source '${source.name}' is in '${source.location}'; createOption 'Copy' needs the same region. To copy to '${location}', make an incremental snapshot with createOption 'CopyStart'.`,
      'creationData.createOption',
    );
}

/**
 * The bytes of a new disk or snapshot, copied inside Azurite as Azure copies them: only the page ranges that hold
 * data, 4 MiB at a time, so time and memory follow the data and not the disk size (Azurite's own copy of a page
 * blob reads the whole blob into memory: a 1 GiB empty disk took 2 GB and failed).
 */
async function copyBlob(blobs: DiskBlobs, source: StoredResource, target: StoredResource): Promise<void> {
  await copyBytes(blobs, String(source.properties.uniqueId), String(target.properties.uniqueId));
}

/** copyBlob between byte containers named by unique id (managed images keep their disks' bytes this way). */
export async function copyBytes(blobs: DiskBlobs, fromId: string, toId: string): Promise<void> {
  const container = blobs.containerFor(toId);
  await container.create();
  const from = blobs.containerFor(fromId).getPageBlobClient('abcd');
  const to = container.getPageBlobClient('abcd');
  const { contentLength = 0 } = await from.getProperties();
  await to.create(contentLength);
  const CHUNK = 4 * 1024 * 1024;
  for await (const page of from.listPageRanges().byPage()) {
    for (const range of page.pageRange ?? []) {
      // listPageRanges answers inclusive ends.
      for (let offset = range.start; offset <= range.end; offset += CHUNK) {
        const length = Math.min(CHUNK, range.end + 1 - offset);
        const data = await from.downloadToBuffer(offset, length);
        await to.uploadPages(data, offset, length);
      }
    }
  }
}

/**
 * createOption FromImage: a disk from one disk of a managed image ("user image"): the OS disk, or the data disk at
 * imageReference.lun. The image must be in the disk's region. Gallery image versions come with issue 10's VMs.
 */
function imageSource(store: ResourceStore, creation: Props, location: string): StoredResource {
  const gallery = (creation.galleryImageReference as { id?: string } | undefined)?.id;
  if (gallery) {
    const version = store.get(gallery);
    if (!version || version.type.toLowerCase() !== 'microsoft.compute/galleries/images/versions')
      throw new ArmError(404, 'NotFound', `The gallery image version '${gallery}' was not found.`);
    const regions = (
      ((version.properties.publishingProfile as Props | undefined)?.targetRegions ?? []) as { name: string }[]
    ).map((r) => r.name.toLowerCase().replace(/\s/g, ''));
    if (!regions.includes(location)) {
      throw armErrors.invalidParameter(
        `The gallery image version '${version.name}' is not replicated to '${location}'; it has replicas in '${regions.join("', '")}'.`,
        'creationData.galleryImageReference',
      );
    }
    return version;
  }
  const id = (creation.imageReference as { id?: string } | undefined)?.id;
  if (!id) {
    throw armErrors.invalidParameter(
      "creationData.imageReference is required when createOption is 'FromImage'.",
      'creationData.imageReference',
    );
  }
  const image = store.get(id);
  if (!image || image.type !== 'Microsoft.Compute/images')
    throw new ArmError(
      404,
      'NotFound',
      `The image '${id}' referenced by creationData.imageReference was not found.`,
    );
  if (image.location !== location) {
    throw armErrors.invalidParameter(
      `The image '${image.name}' is in '${image.location}'; a disk created from it must be in the same region, not '${location}'.`,
      'creationData.imageReference',
    );
  }
  return image;
}

/** Where a managed image keeps the bytes of one of its disks (set by the images provider when it was made). */
export interface ImageDiskBytes {
  uniqueId: string;
  sizeBytes: number;
  osType?: string;
}

/** The bytes a managed image or gallery image version keeps: its OS disk, and data disks by LUN. */
export interface OwnBytes {
  os: ImageDiskBytes;
  data: Record<string, ImageDiskBytes>;
}

export function imageDiskBytes(image: StoredResource, lun: number | undefined): ImageDiskBytes {
  const own = image.internal?.ownBytes as OwnBytes | undefined;
  if (!own) {
    throw new ArmError(
      501,
      'NotImplementedInLocalAzure',
      `The local Azure holds no bytes for '${image.name}' (made from a VHD blob); it cannot make a disk from it.`,
    );
  }
  const bytes = lun === undefined ? own.os : own.data[String(lun)];
  if (!bytes) {
    throw armErrors.invalidParameter(
      `The image '${image.name}' has no data disk at LUN ${String(lun)}.`,
      'creationData.imageReference.lun',
    );
  }
  return bytes;
}

/** The bytes a resource holds, as an image or version made from it would keep them (undefined: none here). */
export function bytesOfSource(store: ResourceStore, source: StoredResource): OwnBytes | undefined {
  switch (source.type.toLowerCase()) {
    case 'microsoft.compute/images':
    case 'microsoft.compute/galleries/images/versions':
      return source.internal?.ownBytes as OwnBytes | undefined;
    case 'microsoft.compute/disks':
    case 'microsoft.compute/snapshots':
      return {
        os: {
          uniqueId: String(source.properties.uniqueId),
          sizeBytes: Number(source.properties.diskSizeBytes ?? 0),
          osType: source.properties.osType as string | undefined,
        },
        data: {},
      };
    case 'microsoft.compute/virtualmachines': {
      const os = (
        source.properties.storageProfile as { osDisk?: { managedDisk?: { id?: string } } } | undefined
      )?.osDisk?.managedDisk?.id;
      const disk = os ? store.get(os) : undefined;
      return disk ? bytesOfSource(store, disk) : undefined;
    }
  }
  return undefined;
}

/** A copy of those bytes of its own (only the data is copied), so the copy outlives its source. */
export async function keepOwnBytes(blobs: DiskBlobs, bytes: OwnBytes): Promise<OwnBytes> {
  const keep = async (b: ImageDiskBytes): Promise<ImageDiskBytes> => {
    const uniqueId = randomUUID();
    await copyBytes(blobs, b.uniqueId, uniqueId);
    return { ...b, uniqueId };
  };
  const data: Record<string, ImageDiskBytes> = {};
  for (const [lun, b] of Object.entries(bytes.data)) data[lun] = await keep(b);
  return { os: await keep(bytes.os), data };
}

/** A storage account of the local Azure: an Azurite account placed in a subscription and resource group. */
export interface LocalStorageAccount {
  name: string;
  key: string;
  /** ARM id, /subscriptions/…/providers/Microsoft.Storage/storageAccounts/{name}. */
  id: string;
}

/**
 * createOption Import: Azure reads the blob with its own access (no SAS in sourceUri), so the storage account must
 * be named by storageAccountId and must be the account of sourceUri. The blob must be a page blob holding a fixed
 * VHD whose virtual size is a whole number of MiB; the messages are those Azure gives for such blobs.
 */
async function importBlob(
  blobs: DiskBlobs,
  blob: AzuriteInstance,
  accounts: LocalStorageAccount[],
  creation: Props,
  target: StoredResource,
): Promise<number> {
  const sourceUri = String(creation.sourceUri ?? '');
  const storageAccountId = String(creation.storageAccountId ?? '');
  if (!sourceUri)
    throw armErrors.invalidParameter('sourceUri is required for createOption Import.', 'sourceUri');
  if (sourceUri.includes('?')) {
    throw armErrors.invalidParameter(
      `The sourceUri '${sourceUri.split('?')[0]}' must not contain a query string (SAS); the platform reads the blob through storageAccountId.`,
      'sourceUri',
    );
  }
  const account = accounts.find((a) => sourceUri.startsWith(`${blob.blobEndpoint(a.name)}/`));
  if (!storageAccountId) {
    throw armErrors.invalidParameter(
      'Required parameter storageAccountId is missing (null): it is required when createOption is Import.',
      'storageAccountId',
    );
  }
  if (!account || account.id.toLowerCase() !== storageAccountId.toLowerCase()) {
    throw new ArmError(
      404,
      'StorageAccountNotFound',
      `Storage account '${storageAccountId.split('/').pop()}' of storageAccountId does not hold the blob '${sourceUri}'.`,
    );
  }
  const [containerName, ...blobPath] = sourceUri.slice(blob.blobEndpoint(account.name).length + 1).split('/');
  const credential = new StorageSharedKeyCredential(account.name, account.key);
  const source = new BlobServiceClient(blob.blobEndpoint(account.name), credential, blob.clientOptions)
    .getContainerClient(containerName)
    .getPageBlobClient(blobPath.join('/'));
  const props = await source.getProperties().catch(() => undefined);
  if (!props) {
    throw armErrors.invalidParameter(
      `The blob '${sourceUri}' does not exist or cannot be read.`,
      'sourceUri',
    );
  }
  const size = props.contentLength ?? 0;
  if (props.blobType !== 'PageBlob') {
    throw armErrors.invalidParameter(
      `The blob '${sourceUri}' is a ${String(props.blobType)}; only page blobs can be imported as disks.`,
      'sourceUri',
    );
  }
  const footer = size >= 512 ? await source.downloadToBuffer(size - 512, 512) : Buffer.alloc(0);
  if (footer.toString('latin1', 0, 8) !== 'conectix') {
    throw armErrors.invalidParameter(
      `The specified cookie value in VHD footer indicates that disk '${target.name}' with blob ${sourceUri} is not a supported VHD. Disk is expected to have cookie value 'conectix'.`,
      'sourceUri',
    );
  }
  if ((size - 512) % MIB !== 0) {
    throw armErrors.invalidParameter(
      `Disk '${target.name}' with blob ${sourceUri} has unsupported virtual size of ${size - 512} bytes. The size must be a whole number (in MBs).`,
      'sourceUri',
    );
  }
  const sas = generateBlobSASQueryParameters(
    {
      containerName,
      blobName: blobPath.join('/'),
      permissions: BlobSASPermissions.parse('r'),
      expiresOn: new Date(Date.now() + 3600_000),
    },
    credential,
  ).toString();
  const container = blobs.container(target);
  await container.create();
  const poller = await container.getPageBlobClient('abcd').beginCopyFromURL(`${source.url}?${sas}`);
  await poller.pollUntilDone();
  return size - 512;
}

export function disksProvider(
  blob: AzuriteInstance,
  storageAccounts: LocalStorageAccount[] = [],
  /** How long a CopyStart (cross-region) snapshot copy takes; completionPercent grows over it. */
  crossRegionCopyMs = 500,
  publicEndpoint?: (account: string) => string,
): {
  spec: ResourceTypeSpec;
  snapshots: ResourceTypeSpec;
  blobs: DiskBlobs;
} {
  const blobs = diskBlobs(blob, publicEndpoint);
  /** The properties DiskUpdateProperties lets a PATCH (or a new PUT) change on an existing disk. */
  const MUTABLE_DISK_PROPERTIES = [
    'tier',
    'supportedCapabilities',
    'purchasePlan',
    'networkAccessPolicy',
    'publicNetworkAccess',
    'burstingEnabled',
    'diskIOPSReadWrite',
    'diskMBpsReadWrite',
    'maxShares',
    'optimizedForFrequentAttach',
    'dataAccessAuthMode',
    'supportsHibernation',
    'encryption',
  ];
  const spec: ResourceTypeSpec = {
    type: 'Microsoft.Compute/disks',
    asyncCreate: true,
    // DiskRP declares 200 and 202 for Disks_CreateOrUpdate: Azure accepts a new disk with 202.
    createStatus: 202,
    asyncDelete: true,
    async write(ctx) {
      const p = ((ctx.body.properties as Props) ?? {}) as Props;
      const sku = (ctx.body.sku as { name?: string } | undefined)?.name ?? 'Standard_LRS';
      if (!SKUS.includes(sku)) {
        throw armErrors.invalidParameter(
          `The value '${sku}' is not a valid disk SKU. Allowed values are '${SKUS.join("', '")}'.`,
          'sku.name',
        );
      }
      if (ctx.existing) {
        const before = ctx.existing.properties.creationData as Props;
        const after = (p.creationData as Props | undefined) ?? before;
        if (before.createOption !== after.createOption || before.uploadSizeBytes !== after.uploadSizeBytes) {
          throw armErrors.propertyChangeNotAllowed('disk.properties.creationData');
        }
        // What a disk is made as stays: Azure refuses a new generation, and an OS type once set.
        const was = ctx.existing.properties;
        if (p.hyperVGeneration !== undefined && p.hyperVGeneration !== (was.hyperVGeneration ?? 'V1'))
          throw armErrors.propertyChangeNotAllowed('disk.properties.hyperVGeneration');
        if (p.osType !== undefined && was.osType !== undefined && p.osType !== was.osType)
          throw armErrors.propertyChangeNotAllowed('disk.properties.osType');
        return {
          ...ctx.existing,
          // An ARM PUT replaces tags (a PATCH arrives here already merged with the existing ones).
          tags: ctx.body.tags as Record<string, string> | undefined,
          // What DiskUpdate may change is kept as asked; the rest is what the disk was made as.
          properties: {
            ...ctx.existing.properties,
            ...Object.fromEntries(
              MUTABLE_DISK_PROPERTIES.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]),
            ),
          },
        };
      }
      const creation = (p.creationData as Props | undefined) ?? {};
      const properties: Props = {
        osType: p.osType,
        hyperVGeneration: p.hyperVGeneration,
        securityProfile: p.securityProfile,
        creationData: creation,
        uniqueId: randomUUID(),
        timeCreated: new Date().toISOString(),
        encryption: { type: 'EncryptionAtRestWithPlatformKey' },
        networkAccessPolicy: 'AllowAll',
        publicNetworkAccess: 'Enabled',
      };
      if (p.osType !== undefined && !['Windows', 'Linux'].includes(String(p.osType))) {
        throw armErrors.invalidParameter(
          `The value '${String(p.osType)}' of parameter 'osType' is not allowed. Allowed values are 'Windows', 'Linux'.`,
          'osType',
        );
      }
      if (p.hyperVGeneration !== undefined && !['V1', 'V2'].includes(String(p.hyperVGeneration))) {
        throw armErrors.invalidParameter(
          `The value '${String(p.hyperVGeneration)}' of parameter 'hyperVGeneration' is not allowed.`,
          'hyperVGeneration',
        );
      }
      const resource: StoredResource = {
        ...trackedResource(ctx),
        extra: { sku: { name: sku, tier: sku.startsWith('Premium') ? 'Premium' : 'Standard' } },
        properties,
      };
      switch (creation.createOption) {
        case 'Upload': {
          const size = Number(creation.uploadSizeBytes);
          if (
            !Number.isInteger(size) ||
            (size - 512) % MIB !== 0 ||
            size < 20 * MIB + 512 ||
            size > 32 * 1024 * GIB + 512
          ) {
            throw armErrors.invalidParameter(
              `The value ${String(creation.uploadSizeBytes)} of uploadSizeBytes is invalid: it must be between 20972032 (20 MiB + 512 bytes) and 35184372089344 (32 TiB + 512 bytes), and (uploadSizeBytes - 512) must be a multiple of 1048576 (1 MiB).`,
              'creationData.uploadSizeBytes',
            );
          }
          properties.diskState = 'ReadyToUpload';
          const container = blobs.container(resource);
          await container.create();
          await container.getPageBlobClient('abcd').create(size);
          break;
        }
        case 'Empty': {
          const gb = Number(p.diskSizeGB);
          if (!Number.isInteger(gb) || gb < 1)
            throw armErrors.invalidParameter('diskSizeGB is required for an empty disk.', 'diskSizeGB');
          properties.diskSizeGB = gb;
          properties.diskSizeBytes = gb * GIB;
          properties.diskState = 'Unattached';
          const container = blobs.container(resource);
          await container.create();
          await container.getPageBlobClient('abcd').create(gb * GIB);
          break;
        }
        case 'Import': {
          const virtual = await importBlob(blobs, blob, storageAccounts, creation, resource);
          Object.assign(properties, {
            diskSizeGB: Math.ceil(virtual / GIB),
            diskSizeBytes: virtual,
            diskState: 'Unattached',
          });
          break;
        }
        case 'Copy': {
          const source = copySource(ctx.store, creation.sourceResourceId);
          sameRegionCopy(source, requiredLocation(ctx));
          Object.assign(properties, {
            osType: p.osType ?? source.properties.osType,
            hyperVGeneration: p.hyperVGeneration ?? source.properties.hyperVGeneration,
            securityProfile: p.securityProfile ?? source.properties.securityProfile,
            diskSizeGB: source.properties.diskSizeGB,
            diskSizeBytes: source.properties.diskSizeBytes,
            diskState: 'Unattached',
          });
          await copyBlob(blobs, source, resource);
          break;
        }
        case 'FromImage': {
          const image = imageSource(ctx.store, creation, requiredLocation(ctx));
          const lun = ((creation.galleryImageReference ?? creation.imageReference) as { lun?: number }).lun;
          const bytes = imageDiskBytes(image, lun);
          Object.assign(properties, {
            osType: lun === undefined ? (p.osType ?? bytes.osType) : p.osType,
            hyperVGeneration: lun === undefined ? image.properties.hyperVGeneration : undefined,
            diskSizeGB: Math.ceil(bytes.sizeBytes / GIB),
            diskSizeBytes: bytes.sizeBytes,
            diskState: 'Unattached',
          });
          await copyBytes(blobs, bytes.uniqueId, String(properties.uniqueId));
          break;
        }
        default:
          throw armErrors.invalidParameter(
            `The value '${String(creation.createOption)}' of createOption is not supported by the local Azure.`,
            'creationData.createOption',
          );
      }
      return resource;
    },
    beforeDelete({ resource }) {
      const state = resource.properties.diskState;
      if (state === 'ActiveUpload' || state === 'ActiveSAS' || state === 'ActiveSASFrozen') {
        throw new ArmError(
          409,
          'OperationNotAllowed',
          `Disk '${resource.name}' cannot be deleted while it is in state '${String(state)}'. Revoke access (endGetAccess) first.`,
        );
      }
    },
    onDeleted(resource) {
      blobs.pending.push(
        blobs
          .container(resource)
          .deleteIfExists()
          .catch(() => undefined),
      );
    },
    actions: {
      async beginGetAccess({ resource, body }) {
        refuseWhileCopying(resource, 'grant access to it');
        const access = String(body.access);
        const seconds = Number(body.durationInSeconds);
        if (!['Read', 'Write'].includes(access))
          throw armErrors.invalidParameter(`The value '${access}' of access is not allowed.`, 'access');
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SAS_SECONDS) {
          throw armErrors.invalidParameter(
            `durationInSeconds must be between 1 and ${MAX_SAS_SECONDS} (60 days).`,
            'durationInSeconds',
          );
        }
        const state = String(resource.properties.diskState);
        if (access === 'Write' && !['ReadyToUpload', 'ActiveUpload'].includes(state)) {
          throw new ArmError(
            409,
            'OperationNotAllowed',
            `Write access can only be granted to a disk created for upload in state ReadyToUpload; disk '${resource.name}' is ${state}.`,
          );
        }
        if (access === 'Read' && !['Unattached', 'ActiveSAS'].includes(state)) {
          throw new ArmError(
            409,
            'OperationNotAllowed',
            `Read access cannot be granted to disk '${resource.name}' in state ${state}.`,
          );
        }
        const identifier = randomUUID();
        const container = blobs.container(resource);
        const expiresOn = new Date(Date.now() + seconds * 1000);
        await container.setAccessPolicy(undefined, [
          {
            id: identifier,
            accessPolicy: {
              startsOn: new Date(Date.now() - 60_000),
              expiresOn,
              permissions: access === 'Write' ? 'rw' : 'r',
            },
          },
        ]);
        const accessSAS = sasFor(blobs, blob, resource, identifier);
        resource.properties.diskState = access === 'Write' ? 'ActiveUpload' : 'ActiveSAS';
        return { async: { complete: () => ({ accessSAS }) } };
      },
      async endGetAccess({ resource }) {
        // Removing the stored policy invalidates every SAS that names it.
        await blobs.container(resource).setAccessPolicy(undefined, []);
        return {
          async: {
            complete: () => {
              const state = resource.properties.diskState;
              if (state === 'ActiveUpload') {
                const size = Number((resource.properties.creationData as Props).uploadSizeBytes) - 512;
                resource.properties.diskSizeBytes = size;
                resource.properties.diskSizeGB = Math.ceil(size / GIB);
              }
              if (state === 'ActiveUpload' || state === 'ActiveSAS')
                resource.properties.diskState = 'Unattached';
              return undefined;
            },
          },
        };
      },
    },
  };
  const snapshots: ResourceTypeSpec = {
    type: 'Microsoft.Compute/snapshots',
    asyncCreate: true,
    createStatus: 202,
    asyncDelete: true,
    async write(ctx) {
      if (ctx.existing) return { ...ctx.existing, tags: ctx.body.tags as Record<string, string> | undefined };
      const p = ((ctx.body.properties as Props) ?? {}) as Props;
      const creation = (p.creationData as Props | undefined) ?? {};
      const copyStart = creation.createOption === 'CopyStart';
      if (creation.createOption !== 'Copy' && !copyStart) {
        throw armErrors.invalidParameter(
          `The value '${String(creation.createOption)}' of createOption is not supported for snapshots by the local Azure.`,
          'creationData.createOption',
        );
      }
      const source = copySource(ctx.store, creation.sourceResourceId);
      if (!copyStart) sameRegionCopy(source, requiredLocation(ctx));
      else if (
        source.type !== 'Microsoft.Compute/snapshots' ||
        source.properties.incremental !== true ||
        p.incremental !== true
      )
        // Cross-region copies exist for incremental snapshots only.
        throw armErrors.invalidParameter(
          "createOption 'CopyStart' copies an incremental snapshot into an incremental snapshot: the source must be one and 'incremental' must be true.",
          'creationData.createOption',
        );
      const resource: StoredResource = {
        ...trackedResource(ctx),
        extra: { sku: (ctx.body.sku as object | undefined) ?? { name: 'Standard_LRS', tier: 'Standard' } },
        properties: {
          osType: source.properties.osType,
          hyperVGeneration: source.properties.hyperVGeneration,
          ...(source.properties.securityProfile
            ? { securityProfile: source.properties.securityProfile }
            : {}),
          creationData: {
            createOption: copyStart ? 'CopyStart' : 'Copy',
            sourceResourceId: source.id,
            sourceUniqueId: source.properties.uniqueId,
          },
          incremental: p.incremental === true,
          // Incremental snapshots of one disk share a family id (the disk's), as Azure reports it.
          ...(p.incremental === true
            ? {
                incrementalSnapshotFamilyId:
                  source.properties.incrementalSnapshotFamilyId ?? source.properties.uniqueId,
              }
            : {}),
          diskSizeGB: source.properties.diskSizeGB,
          diskSizeBytes: source.properties.diskSizeBytes,
          diskState: 'Unattached',
          uniqueId: randomUUID(),
          timeCreated: new Date().toISOString(),
          // Azure's defaults for a snapshot nobody configured: platform-managed keys, open network access.
          encryption: { type: 'EncryptionAtRestWithPlatformKey' },
          networkAccessPolicy: 'AllowAll',
          publicNetworkAccess: 'Enabled',
        },
      };
      await copyBlob(blobs, source, resource);
      // The bytes are here; the region copy is reported as running until its time is up.
      if (copyStart) resource.properties.copyStart = { startedAt: Date.now(), durationMs: crossRegionCopyMs };
      return resource;
    },
    beforeDelete: spec.beforeDelete,
    onDeleted: spec.onDeleted,
    actions: { beginGetAccess: spec.actions!.beginGetAccess, endGetAccess: spec.actions!.endGetAccess },
    // A CopyStart snapshot reports how far its cross-region copy has come; the bookkeeping stays inside.
    present(r) {
      const body = resourceBody(r) as { properties: Props };
      const { copyStart, ...properties } = body.properties;
      return {
        ...body,
        properties: copyStart ? { ...properties, completionPercent: completionPercent(r) } : properties,
      };
    },
  };
  return { spec, snapshots, blobs };
}
