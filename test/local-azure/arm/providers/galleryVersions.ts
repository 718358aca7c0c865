import { ArmError, armErrors } from '../errors';
import { resourceBody, type ResourceStore, type StoredResource } from '../store';
import { bytesOfSource, keepOwnBytes, type DiskBlobs, type OwnBytes } from './disks';
import { requiredLocation } from './location';
import type { ResourceTypeSpec } from './types';

/*
 * Microsoft.Compute/galleries/images/versions shaped on GalleryRP.json and its examples
 * (GalleryImageVersion_Create_*, GalleryImageVersion_Get_WithReplicationStatus): the create operation runs until
 * every target region has replicated, region by region over time; `replicationStatus` is shown only with
 * `$expand=ReplicationStatus`; a region can be made to fail. What Azure checks is checked: the version name,
 * the source against the image definition (OS type, generation, Trusted Launch sources), target regions, and
 * deletes refused by `blockDeletionBeforeEndOfLife` or by a version still used as a source.
 */

type Props = Record<string, unknown>;
const INT32_MAX = 2_147_483_647;
const STORAGE_TYPES = ['Standard_LRS', 'Standard_ZRS', 'Premium_LRS', 'PremiumV2_LRS'];

interface RegionPlan {
  name: string;
  key: string;
  startAt: number;
  endAt: number;
  failure?: string;
}

export interface ReplicationControl {
  /** How long one region takes; regions start together and finish one after another. */
  regionMs: number;
  /** Regions (normalised names) whose replication fails, with the message Azure would give. */
  failingRegions: Map<string, string>;
}

const regionKey = (name: string) => name.toLowerCase().replace(/\s/g, '');

function feature(p: Props, name: string): string | undefined {
  const list = Array.isArray(p.features) ? (p.features as { name?: string; value?: string }[]) : [];
  return list.find((f) => f.name?.toLowerCase() === name.toLowerCase())?.value;
}

/**
 * The data disks a version gets: those the request names, or else those of its source (a managed image's data
 * disks, another version's data disk images), LUNs kept, as Azure reports them.
 */
function dataDiskImagesOf(store: ResourceStore, storageProfile: Props): Props {
  if (Array.isArray(storageProfile.dataDiskImages)) return {};
  const id = ((storageProfile.source ?? {}) as Props).id as string | undefined;
  const source = id ? store.get(id) : undefined;
  const profile = (source?.properties.storageProfile ?? {}) as Props;
  if (source?.type === 'Microsoft.Compute/images') {
    const disks = (profile.dataDisks as Props[] | undefined) ?? [];
    return disks.length
      ? {
          dataDiskImages: disks.map((d) => ({
            lun: d.lun,
            sizeInGB: Number(d.diskSizeGB ?? 1),
            hostCaching: d.caching ?? 'None',
          })),
        }
      : {};
  }
  if (source?.type === 'Microsoft.Compute/galleries/images/versions' && Array.isArray(profile.dataDiskImages))
    return { dataDiskImages: profile.dataDiskImages.map((d: Props) => ({ ...d, source: undefined })) };
  return {};
}

/** Facts about a source that Azure compares with the image definition. */
function sourceFacts(
  store: ResourceStore,
  storageProfile: Props,
): { kind: string; resource?: StoredResource; osType?: string; generation?: string; sizeGB?: number } {
  const source = (storageProfile.source ?? {}) as Props;
  const osDisk = (storageProfile.osDiskImage ?? {}) as Props;
  const osDiskSource = (osDisk.source ?? {}) as Props;
  const id = (source.id ?? source.virtualMachineId ?? osDiskSource.id) as string | undefined;
  if (!id) {
    if (osDiskSource.uri) {
      if (!osDiskSource.storageAccountId) {
        throw armErrors.invalidParameter(
          'storageAccountId is required when the OS disk image source is a VHD uri.',
          'storageProfile.osDiskImage.source.storageAccountId',
        );
      }
      return { kind: 'vhd' };
    }
    throw armErrors.invalidParameter(
      'The gallery image version has no source: set storageProfile.source or storageProfile.osDiskImage.source.',
      'storageProfile.source',
    );
  }
  const resource = store.get(id);
  if (!resource) {
    throw new ArmError(
      404,
      'NotFound',
      `The source resource '${id}' of the gallery image version was not found.`,
    );
  }
  const p = resource.properties;
  switch (resource.type.toLowerCase()) {
    case 'microsoft.compute/images': {
      const os = ((p.storageProfile as Props | undefined)?.osDisk ?? {}) as Props;
      return {
        kind: 'image',
        resource,
        osType: os.osType as string,
        generation: p.hyperVGeneration as string,
      };
    }
    case 'microsoft.compute/disks':
    case 'microsoft.compute/snapshots':
      return {
        kind: resource.type.split('/')[1],
        resource,
        osType: p.osType as string | undefined,
        generation: (p.hyperVGeneration as string | undefined) ?? 'V1',
        sizeGB: p.diskSizeGB as number | undefined,
      };
    case 'microsoft.compute/galleries/images/versions': {
      const definition = store.get(resource.id.slice(0, resource.id.toLowerCase().lastIndexOf('/versions/')));
      return {
        kind: 'galleryVersion',
        resource,
        osType: definition?.properties.osType as string,
        generation: definition?.properties.hyperVGeneration as string,
      };
    }
    case 'microsoft.compute/virtualmachines': {
      const os = ((p.storageProfile as Props | undefined)?.osDisk ?? {}) as Props;
      const disk = store.get(String((os.managedDisk as Props | undefined)?.id ?? ''));
      return {
        kind: 'virtualMachine',
        resource,
        osType: os.osType as string,
        generation: (disk?.properties.hyperVGeneration as string | undefined) ?? 'V1',
      };
    }
    default:
      throw armErrors.invalidParameter(
        `The source '${id}' is a ${resource.type}, which cannot be the source of a gallery image version.`,
        'storageProfile.source.id',
      );
  }
}

function checkName(name: string): void {
  const parts = name.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p) || Number(p) > INT32_MAX)) {
    throw armErrors.invalidParameter(
      `The gallery image version name '${name}' is invalid. The name must be in the format <MajorVersion>.<MinorVersion>.<Patch>, where each part is an integer between 0 and ${INT32_MAX}.`,
      'galleryImageVersionName',
    );
  }
}

export function galleryVersionsProvider(
  control: ReplicationControl,
  knownLocations: readonly string[],
  /** Where disk bytes live: a version keeps its own copy of its source's, so VMs and disks can be made from it. */
  blobs?: () => DiskBlobs | undefined,
): ResourceTypeSpec {
  const plans = new Map<string, RegionPlan[]>();

  function planFor(resource: StoredResource, previous: RegionPlan[] | undefined): RegionPlan[] {
    const profile = resource.properties.publishingProfile as Props;
    const regions = profile.targetRegions as { name: string }[];
    const now = Date.now();
    let step = 0;
    return regions.map((r) => {
      const key = regionKey(r.name);
      const kept = previous?.find((p) => p.key === key);
      if (kept) return kept;
      step++;
      return {
        name: r.name,
        key,
        startAt: now,
        endAt: now + control.regionMs * step,
        failure: control.failingRegions.get(key),
      };
    });
  }

  function replicationStatus(id: string, now = Date.now()): Props {
    const summary = (plans.get(id.toLowerCase()) ?? []).map((p) => {
      const done = now >= p.endAt;
      if (done && p.failure) return { region: p.name, state: 'Failed', details: p.failure, progress: 0 };
      if (done) return { region: p.name, state: 'Completed', details: '', progress: 100 };
      const progress = Math.floor(((now - p.startAt) / Math.max(1, p.endAt - p.startAt)) * 100);
      return { region: p.name, state: 'Replicating', details: 'Replicating', progress };
    });
    const aggregatedState = summary.some((s) => s.state === 'Replicating')
      ? 'InProgress'
      : summary.some((s) => s.state === 'Failed')
        ? 'Failed'
        : 'Completed';
    return { aggregatedState, summary };
  }

  return {
    type: 'Microsoft.Compute/galleries/images/versions',
    asyncCreate: true,
    asyncDelete: true,
    async write(ctx) {
      checkName(ctx.name);
      const definition = ctx.parent!;
      const gallery = ctx.store.get(
        definition.id.slice(0, definition.id.toLowerCase().lastIndexOf('/images/')),
      )!;
      const requested = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
      const location = requiredLocation(ctx);
      if (location !== gallery.location) {
        throw armErrors.invalidParameter(
          `The gallery image version must be created in the location of its gallery '${String(gallery.location)}', not '${location}'.`,
          'location',
        );
      }
      const before = ctx.existing?.properties;
      const asked = (requested.storageProfile ?? {}) as Props;
      // An update that names no source keeps the version's own (Microsoft's example
      // GalleryImageVersion_Update_WithoutSourceId sends "storageProfile": {} and is answered 200).
      const namesSource = asked.source !== undefined || asked.osDiskImage !== undefined;
      const storageProfile = (before && !namesSource ? before.storageProfile : asked) as Props;
      if (
        before &&
        JSON.stringify((before.storageProfile as Props).source ?? null) !==
          JSON.stringify((storageProfile.source as unknown) ?? null)
      ) {
        throw armErrors.propertyChangeNotAllowed('galleryImageVersion.properties.storageProfile.source');
      }
      const facts = sourceFacts(ctx.store, storageProfile);
      const sourceTenant = facts.resource && ctx.tenantOf(facts.resource.id.split('/')[2]);
      if (sourceTenant && !ctx.linkedTenants.includes(sourceTenant)) {
        // Azure reads a source in another tenant only with that tenant's token along (x-ms-authorization-auxiliary).
        throw new ArmError(
          403,
          'LinkedAuthorizationFailed',
          `The client has permission to perform action 'Microsoft.Compute/galleries/images/versions/write' on scope '${ctx.id}', however the current tenant '${String(ctx.tenantOf(ctx.subscriptionId))}' is not authorized to access linked subscription '${facts.resource!.id.split('/')[2]}'.`,
        );
      }
      const def = definition.properties;
      if (facts.osType && String(facts.osType).toLowerCase() !== String(def.osType).toLowerCase()) {
        throw armErrors.invalidParameter(
          `The OS type '${facts.osType}' of the source does not match the OS type '${String(def.osType)}' of the gallery image '${definition.name}'.`,
          'storageProfile.source',
        );
      }
      if (facts.generation && facts.generation !== def.hyperVGeneration) {
        throw armErrors.invalidParameter(
          `The Hyper-V generation '${facts.generation}' of the source does not match the Hyper-V generation '${String(def.hyperVGeneration)}' of the gallery image '${definition.name}'.`,
          'storageProfile.source',
        );
      }
      const security = feature(def, 'SecurityType') ?? 'Standard';
      if (security !== 'Standard' && facts.kind === 'image') {
        throw armErrors.invalidParameter(
          `Gallery image '${definition.name}' has security type '${security}'; a managed image cannot be the source of its versions. Use a managed disk, snapshot, VHD or another gallery image version.`,
          'storageProfile.source.id',
        );
      }
      if (facts.kind === 'galleryVersion') {
        // A version copies from another version inside one region: the source must have a replica there.
        const replicated = (
          ((facts.resource!.properties.publishingProfile as Props | undefined)?.targetRegions ?? []) as {
            name: string;
          }[]
        ).map((r) => regionKey(r.name));
        if (!replicated.includes(regionKey(location))) {
          throw armErrors.invalidParameter(
            `The source gallery image version '${facts.resource!.id}' is not replicated to '${location}', the region of the new version; it has replicas in '${replicated.join("', '")}'.`,
            'storageProfile.source.id',
          );
        }
      } else if (facts.resource?.location && facts.resource.location !== location) {
        throw armErrors.invalidParameter(
          `The source '${facts.resource.name}' is in '${facts.resource.location}'; it must be in the gallery image version's region '${location}'.`,
          'storageProfile.source',
        );
      }
      const profile: Props = {
        ...((before?.publishingProfile as Props | undefined) ?? {}),
        ...((requested.publishingProfile as Props | undefined) ?? {}),
      };
      const replicaCount = Number(profile.replicaCount ?? 1);
      const storageAccountType = String(profile.storageAccountType ?? 'Standard_LRS');
      if (!STORAGE_TYPES.includes(storageAccountType)) {
        throw armErrors.invalidParameter(
          `The storage account type '${storageAccountType}' is not supported.`,
          'storageAccountType',
        );
      }
      const regions = ((profile.targetRegions as Props[] | undefined) ?? [{ name: location }]).map((r) => ({
        ...r,
      }));
      const seen = new Set<string>();
      for (const r of regions) {
        // Disk encryption sets are not modelled here, so none exists: Azure refuses a set it cannot find.
        const encryption = (r.encryption ?? {}) as Props;
        const sets = [
          (encryption.osDiskImage as Props | undefined)?.diskEncryptionSetId,
          ...((encryption.dataDiskImages as Props[] | undefined) ?? []).map((d) => d.diskEncryptionSetId),
        ].filter((id): id is string => typeof id === 'string');
        for (const id of sets)
          if (!ctx.store.get(id))
            throw new ArmError(
              404,
              'NotFound',
              `The disk encryption set '${id}' of target region '${String(r.name)}' was not found.`,
            );
        const key = regionKey(String(r.name));
        if (!knownLocations.includes(key)) {
          throw armErrors.invalidParameter(
            `The target region '${String(r.name)}' is not a valid Azure region.`,
            'targetRegions',
          );
        }
        if (seen.has(key))
          throw armErrors.invalidParameter(
            `The target region '${String(r.name)}' is listed twice.`,
            'targetRegions',
          );
        seen.add(key);
        const count = Number(r.regionalReplicaCount ?? replicaCount);
        if (!Number.isInteger(count) || count < 1 || count > 100) {
          throw armErrors.invalidParameter(
            `The regional replica count ${String(r.regionalReplicaCount)} of region '${String(r.name)}' must be between 1 and 100.`,
            'regionalReplicaCount',
          );
        }
        r.regionalReplicaCount = count;
        r.storageAccountType ??= storageAccountType;
        r.excludeFromLatest ??= false;
      }
      if (!seen.has(location)) {
        throw armErrors.invalidParameter(
          `The target regions must include the region of the gallery image version ('${location}').`,
          'targetRegions',
        );
      }
      const safety = {
        allowDeletionOfReplicatedLocations: true,
        ...((before?.safetyProfile as Props | undefined) ?? {}),
        ...((requested.safetyProfile as Props | undefined) ?? {}),
        reportedForPolicyViolation: false,
      };
      const previous = ((before?.publishingProfile as Props | undefined)?.targetRegions ?? []) as Props[];
      const removed = previous.filter((r) => !seen.has(regionKey(String(r.name))));
      if (removed.length && safety.allowDeletionOfReplicatedLocations === false) {
        throw new ArmError(
          409,
          'OperationNotAllowed',
          `Removing replicated region(s) ${removed.map((r) => String(r.name)).join(', ')} from gallery image version '${ctx.name}' is not allowed: safetyProfile.allowDeletionOfReplicatedLocations is false.`,
        );
      }
      const properties: Props = {
        publishingProfile: {
          ...profile,
          targetRegions: regions,
          replicaCount,
          storageAccountType,
          excludeFromLatest: profile.excludeFromLatest === true,
          publishedDate:
            (before?.publishingProfile as Props | undefined)?.publishedDate ?? new Date().toISOString(),
        },
        storageProfile: {
          ...storageProfile,
          osDiskImage: {
            ...((storageProfile.osDiskImage as Props | undefined) ?? {}),
            sizeInGB: facts.sizeGB ?? 30,
            hostCaching: 'ReadOnly',
          },
          ...dataDiskImagesOf(ctx.store, storageProfile),
        },
        safetyProfile: safety,
        // UEFI settings and the security type of the version are kept as asked.
        ...(requested.securityProfile ? { securityProfile: requested.securityProfile } : {}),
      };
      const diskBlobs = blobs?.();
      const sourceBytes = facts.resource ? bytesOfSource(ctx.store, facts.resource) : undefined;
      // A source placed as a bare fixture (a VM or disk with no bytes in Azurite) leaves the version without its
      // own bytes: it can be published and replicated, and a VM made from it is refused with that reason.
      const ownBytes =
        ctx.existing?.internal?.ownBytes ??
        (diskBlobs && sourceBytes
          ? await keepOwnBytes(diskBlobs, sourceBytes).catch(() => undefined)
          : undefined);
      return {
        id: ctx.id,
        name: ctx.name,
        type: '',
        location,
        tags: ctx.body.tags as Record<string, string> | undefined,
        properties,
        internal: ownBytes ? { ownBytes } : undefined,
      };
    },
    onDeleted(resource) {
      plans.delete(resource.id.toLowerCase());
      const own = resource.internal?.ownBytes as OwnBytes | undefined;
      const diskBlobs = blobs?.();
      if (!own || !diskBlobs) return;
      for (const b of [own.os, ...Object.values(own.data)])
        diskBlobs.pending.push(
          diskBlobs
            .containerFor(b.uniqueId)
            .deleteIfExists()
            .catch(() => undefined),
        );
    },
    writeOperation(resource) {
      const key = resource.id.toLowerCase();
      const plan = planFor(resource, plans.get(key));
      plans.set(key, plan);
      const finish = Math.max(Date.now(), ...plan.map((p) => p.endAt));
      const failed = plan.filter((p) => p.failure);
      return {
        durationMs: finish - Date.now(),
        error: failed.length
          ? {
              code: 'ReplicationFailed',
              message: `Replication of gallery image version '${resource.name}' failed in region(s) ${failed.map((f) => `'${f.name}': ${f.failure}`).join('; ')}.`,
            }
          : undefined,
      };
    },
    present(resource, query) {
      const body = resourceBody(resource);
      if ((query.get('$expand') ?? '').toLowerCase() === 'replicationstatus') {
        body.properties = { ...resource.properties, replicationStatus: replicationStatus(resource.id) };
      }
      return body;
    },
    beforeDelete({ resource, store }) {
      const p = resource.properties;
      const eol = (p.publishingProfile as Props | undefined)?.endOfLifeDate as string | undefined;
      if (
        (p.safetyProfile as Props | undefined)?.blockDeletionBeforeEndOfLife === true &&
        (!eol || Date.parse(eol) > Date.now())
      ) {
        throw new ArmError(
          409,
          'OperationNotAllowed',
          `Gallery image version '${resource.name}' cannot be deleted before its end of life date${eol ? ` (${eol})` : ''}: safetyProfile.blockDeletionBeforeEndOfLife is set.`,
        );
      }
      const user = store
        .all()
        .find(
          (r) =>
            r.type.toLowerCase() === 'microsoft.compute/galleries/images/versions' &&
            String(
              ((r.properties.storageProfile as Props | undefined)?.source as Props | undefined)?.id ?? '',
            ).toLowerCase() === resource.id.toLowerCase(),
        );
      if (user) {
        throw new ArmError(
          409,
          'Conflict',
          `Gallery image version '${resource.name}' is in use as the source of '${user.id}' and cannot be deleted.`,
        );
      }
    },
  };
}
