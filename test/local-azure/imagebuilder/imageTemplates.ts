import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../arm/errors';
import type { OwnBytes } from '../arm/providers/disks';
import { trackedResource } from '../arm/providers/tracked';
import { storageAccountResource } from '../arm/providers/storageAccounts';
import type { ResourceTypeSpec } from '../arm/providers/types';
import type { ResourceStore, StoredResource } from '../arm/store';
import { LocalBuild, type BuildDeps, type RunStatus } from './localBuild';
import type { PlatformImages } from './platformImages';

/*
 * Microsoft.VirtualMachineImages/imageTemplates, shaped on imagebuilder.json (2025-10-01). Create is long-running
 * and checks what the service checks before any build (identity, source, customizer and distributor types), failing
 * the operation with the provisioningError codes the spec lists; Azure refuses updates of a template. `run` starts a
 * real build (LocalBuild) and is long-running until it ends; `cancel` stops it; `runOutputs` are the artifacts.
 * Creating a template makes its staging resource group (`IT_<group>_<template>_<guid>`, or the one named by
 * stagingResourceGroup) with the storage account that keeps the build logs; deleting the template removes them.
 *
 * Shortcut: the staging storage account is the local Azure's first Azurite account, listed in the staging group.
 */
type Props = Record<string, unknown>;

const CUSTOMIZERS = ['Shell', 'PowerShell', 'File', 'WindowsRestart', 'WindowsUpdate'];
const DISTRIBUTORS = ['ManagedImage', 'SharedImage', 'VHD'];

export interface ImageBuilderDeps extends Omit<BuildDeps, 'store'> {
  platformImages: PlatformImages;
  stagingAccount: { name: string; blobEndpoint: string };
}

function provisioningError(code: string, message: string): { code: string; message: string } {
  return { code, message };
}

interface ResolvedSource {
  bytes: OwnBytes['os'];
  osType: string;
  generation: string;
  exactVersion?: string;
}

function resolveSource(
  store: ResourceStore,
  images: PlatformImages,
  source: Props,
): ResolvedSource | { code: string; message: string } {
  switch (source.type) {
    case 'PlatformImage': {
      const found = images.resolve(source as { publisher?: string });
      if (!found)
        return provisioningError(
          'BadPIRSource',
          `The platform image ${String(source.publisher)}:${String(source.offer)}:${String(source.sku)}:${String(source.version)} was not found.`,
        );
      return { bytes: found.bytes, osType: found.osType, generation: 'V2', exactVersion: found.version };
    }
    case 'ManagedImage': {
      const image = store.get(String(source.imageId ?? ''));
      const own = image?.internal?.ownBytes as OwnBytes | undefined;
      if (!image || image.type !== 'Microsoft.Compute/images' || !own)
        return provisioningError(
          'BadManagedImageSource',
          `The managed image '${String(source.imageId)}' was not found.`,
        );
      const os = ((image.properties.storageProfile as Props).osDisk ?? {}) as Props;
      return {
        bytes: own.os,
        osType: String(os.osType),
        generation: String(image.properties.hyperVGeneration ?? 'V1'),
      };
    }
    case 'SharedImageVersion': {
      const id = String(source.imageVersionId ?? '');
      const version = store.get(id);
      const own = version?.internal?.ownBytes as OwnBytes | undefined;
      if (!version || !own)
        return provisioningError(
          'BadSharedImageVersionSource',
          `The gallery image version '${id}' was not found.`,
        );
      const definition = store.get(id.slice(0, id.toLowerCase().lastIndexOf('/versions/')));
      return {
        bytes: own.os,
        osType: String(definition?.properties.osType ?? 'Linux'),
        generation: String(definition?.properties.hyperVGeneration ?? 'V1'),
        exactVersion: version.name,
      };
    }
  }
  return provisioningError('BadSourceType', `Unknown source type '${String(source.type)}'.`);
}

/** What the service refuses before a build: a failed create operation with a provisioning error. */
function validate(
  store: ResourceStore,
  images: PlatformImages,
  p: Props,
): { code: string; message: string } | undefined {
  const source = resolveSource(store, images, (p.source ?? {}) as Props);
  if ('code' in source) return source;
  for (const [k, c] of ((p.customize ?? []) as Props[]).entries()) {
    if (!CUSTOMIZERS.includes(String(c.type)))
      return provisioningError(
        'BadCustomizerType',
        `customize[${k}]: unknown customizer type '${String(c.type)}'.`,
      );
    if (
      ['Shell', 'PowerShell'].includes(String(c.type)) &&
      !c.scriptUri &&
      !(c.inline as unknown[] | undefined)?.length
    )
      return provisioningError(
        'NoCustomizerScript',
        `customize[${k}]: a ${String(c.type)} customizer needs scriptUri or inline.`,
      );
    if (c.type === 'File' && (!c.sourceUri || !c.destination))
      return provisioningError(
        'NoCustomizerScript',
        `customize[${k}]: a File customizer needs sourceUri and destination.`,
      );
  }
  const distribute = (p.distribute ?? []) as Props[];
  if (!distribute.length)
    return provisioningError(
      'BadDistributeType',
      'The template has no distribution target (distribute is empty).',
    );
  const names = new Set<string>();
  for (const [k, d] of distribute.entries()) {
    if (!DISTRIBUTORS.includes(String(d.type)))
      return provisioningError(
        'BadDistributeType',
        `distribute[${k}]: unknown distributor type '${String(d.type)}'.`,
      );
    if (!d.runOutputName || names.has(String(d.runOutputName)))
      return provisioningError(
        'BadDistributeType',
        `distribute[${k}]: runOutputName must be set and unique.`,
      );
    names.add(String(d.runOutputName));
    if (d.type === 'SharedImage') {
      const target = String(d.galleryImageId ?? '');
      const definitionId = target.replace(/\/versions\/[^/]+$/i, '');
      if (!store.get(definitionId))
        return provisioningError(
          'BadSharedImageDistribute',
          `distribute[${k}]: the gallery image definition '${definitionId}' was not found.`,
        );
    }
  }
  return undefined;
}

export function imageTemplatesProvider(deps: ImageBuilderDeps): ResourceTypeSpec[] {
  const builds = new Map<string, LocalBuild>();
  const running = (r: StoredResource) => {
    const b = builds.get(r.id.toLowerCase());
    return b && !b.done ? b : undefined;
  };
  const templates: ResourceTypeSpec = {
    type: 'Microsoft.VirtualMachineImages/imageTemplates',
    asyncCreate: true,
    asyncDelete: true,
    write(ctx) {
      if (ctx.existing)
        throw new ArmError(
          409,
          'Conflict',
          'Update/Upgrade of image templates is currently not supported. Please change the name of the template you are submitting.',
        );
      const identity = (ctx.body.identity ?? {}) as {
        type?: string;
        userAssignedIdentities?: Record<string, unknown>;
      };
      const ids = Object.keys(identity.userAssignedIdentities ?? {});
      if (identity.type !== 'UserAssigned' || ids.length !== 1)
        throw armErrors.invalidParameter(
          'The image template needs exactly one user-assigned identity (identity.type UserAssigned).',
          'identity',
        );
      const assigned = ctx.store.get(ids[0]);
      if (!assigned || assigned.type.toLowerCase() !== 'microsoft.managedidentity/userassignedidentities')
        throw armErrors.invalidParameter(`The user-assigned identity '${ids[0]}' was not found.`, 'identity');
      const p = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
      if (!p.source)
        throw armErrors.invalidParameter("Required property 'source' is missing.", 'properties.source');
      if (!Array.isArray(p.distribute))
        throw armErrors.invalidParameter(
          "Required property 'distribute' is missing.",
          'properties.distribute',
        );
      const minutes = p.buildTimeoutInMinutes;
      if (minutes !== undefined && (typeof minutes !== 'number' || minutes < 0 || minutes > 960))
        throw armErrors.invalidParameter(
          'buildTimeoutInMinutes must be between 0 and 960.',
          'buildTimeoutInMinutes',
        );
      const staging =
        typeof p.stagingResourceGroup === 'string' && p.stagingResourceGroup
          ? p.stagingResourceGroup
          : `/subscriptions/${ctx.subscriptionId}/resourceGroups/IT_${ctx.resourceGroup}_${ctx.name}_${randomUUID()}`;
      const error = validate(ctx.store, deps.platformImages, p);
      return {
        ...trackedResource(ctx),
        extra: {
          identity: {
            type: 'UserAssigned',
            userAssignedIdentities: {
              [assigned.id]: {
                principalId: String(assigned.properties.principalId),
                clientId: String(assigned.properties.clientId),
              },
            },
          },
        },
        properties: {
          ...p,
          // The service states the PowerShell defaults it runs with.
          ...(Array.isArray(p.customize)
            ? {
                customize: (p.customize as Props[]).map((c) =>
                  c.type === 'PowerShell' ? { runAsSystem: false, runElevated: false, ...c } : c,
                ),
              }
            : {}),
          buildTimeoutInMinutes: typeof minutes === 'number' ? minutes : 0,
          vmProfile: { vmSize: '', osDiskSizeGB: 0, ...((p.vmProfile as Props | undefined) ?? {}) },
          exactStagingResourceGroup: staging,
          ...(error
            ? { provisioningError: { provisioningErrorCode: error.code, message: error.message } }
            : {}),
        },
        internal: {
          error,
          ownsStaging: !p.stagingResourceGroup,
          identityClientId: String(assigned.properties.clientId),
        },
      };
    },
    writeOperation(resource) {
      return {
        durationMs: 0,
        error: resource.internal?.error as { code: string; message: string } | undefined,
      };
    },
    onProvisioned(resource, store) {
      const staging = String(resource.properties.exactStagingResourceGroup);
      if (!store.get(staging))
        store.put({
          id: staging,
          name: staging.split('/').pop()!,
          type: 'Microsoft.Resources/resourceGroups',
          location: resource.location,
          tags: { createdBy: 'AzureVMImageBuilder', imageTemplateName: resource.name },
          properties: { provisioningState: 'Succeeded' },
        });
      store.put({
        ...storageAccountResource({
          id: `${staging}/providers/Microsoft.Storage/storageAccounts/${deps.stagingAccount.name}`,
          name: deps.stagingAccount.name,
          key: '',
          blobEndpoint: deps.stagingAccount.blobEndpoint,
          location: String(resource.location),
        }),
        preexisting: false,
      });
    },
    beforeDelete({ resource }) {
      if (running(resource))
        throw new ArmError(
          409,
          'Conflict',
          `The image template '${resource.name}' is running a build; cancel the build before deleting the template.`,
        );
    },
    onDeleted(resource, store) {
      builds.delete(resource.id.toLowerCase());
      const staging = String(resource.properties.exactStagingResourceGroup ?? '');
      if (!staging) return;
      for (const r of store.descendants(staging)) store.delete(r.id);
      if (resource.internal?.ownsStaging) store.delete(staging);
    },
    actions: {
      run({ resource, store }) {
        if (resource.properties.provisioningState !== 'Succeeded')
          throw new ArmError(
            409,
            'Conflict',
            `The image template '${resource.name}' is in provisioning state ${String(resource.properties.provisioningState)}; it cannot run.`,
          );
        if (running(resource))
          throw new ArmError(
            409,
            'Conflict',
            `The image template '${resource.name}' is already running a build.`,
          );
        const source = resolveSource(store, deps.platformImages, (resource.properties.source ?? {}) as Props);
        if ('code' in source) throw new ArmError(400, source.code, source.message);
        for (const r of store.children(
          resource.id,
          'Microsoft.VirtualMachineImages/imageTemplates/runOutputs',
        ))
          store.delete(r.id);
        if (source.exactVersion) (resource.properties.source as Props).exactVersion = source.exactVersion;
        const build = new LocalBuild(
          { ...deps, store },
          {
            template: resource,
            source: { ...source.bytes, osType: source.osType, generation: source.generation },
            identityClientId: String(resource.internal?.identityClientId),
            stagingGroupId: String(resource.properties.exactStagingResourceGroup),
            logsAccount: deps.stagingAccount.name,
            onStatus: (status: RunStatus) => {
              resource.properties.lastRunStatus = status;
            },
          },
        );
        builds.set(resource.id.toLowerCase(), build);
        return {
          async: {
            durationMs: 0,
            complete: () => undefined,
            until: () => {
              if (!build.done) return { done: false };
              const status = resource.properties.lastRunStatus as RunStatus;
              if (status.runState === 'Succeeded' || status.runState === 'PartiallySucceeded')
                return { done: true };
              return {
                done: true,
                error: {
                  code: status.runState === 'Canceled' ? 'OperationCanceled' : 'InternalError',
                  message: String(status.message ?? status.runState),
                },
              };
            },
          },
        };
      },
      cancel({ resource }) {
        const build = running(resource);
        if (!build)
          throw new ArmError(
            409,
            'Conflict',
            `The image template '${resource.name}' has no running build to cancel.`,
          );
        build.cancel();
        return { async: { durationMs: 0, complete: () => undefined, until: () => ({ done: build.done }) } };
      },
    },
  };
  const runOutputs: ResourceTypeSpec = {
    type: 'Microsoft.VirtualMachineImages/imageTemplates/runOutputs',
    asyncCreate: false,
    asyncDelete: false,
    write() {
      throw new ArmError(405, 'MethodNotAllowed', 'Run outputs are made by image template runs.');
    },
  };
  return [templates, runOutputs];
}
