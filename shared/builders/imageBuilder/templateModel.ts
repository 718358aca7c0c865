import * as fs from 'node:fs';
import type {
  ImageTemplate,
  ImageTemplateCustomizerUnion,
  ImageTemplateDistributorUnion,
  ImageTemplateInVMValidatorUnion,
  ImageTemplateSourceUnion,
} from '@azure/arm-imagebuilder';
import type { BuildRequest } from '../buildRequest';
import type { Customization } from '../customizations';
import type { SourceImage } from '../sourceImage';
import type { StagedFile } from './stagedFiles';

/** Image Builder's own ceiling for buildTimeoutInMinutes (16 hours). */
export const MAX_BUILD_MINUTES = 960;

export const RUN_OUTPUTS = { managedImage: 'managedImage', gallery: 'galleryImage', vhd: 'vhd' } as const;

/** Tags the task puts on the template so a later job (collect) knows what to clean up. */
export const TEMPLATE_TAGS = { createdBy: 'vmImageLifecycle', stagedFiles: 'vmImageLifecycle.stagedFiles' };

export interface ImageBuilderRequest extends BuildRequest {
  identityId: string;
  stagingResourceGroup?: string;
  /** Scripts the build runs after the customizations, to check the image (validators). */
  validations: Customization[];
  /** The steps the baseline adds (its script), after the user's. */
  baselineStep?: Customization;
  /** A user's own template: its `properties` are taken as they are; identity, location and timeout from inputs. */
  userTemplate?: Record<string, unknown>;
}

function sourceOf(source: SourceImage): ImageTemplateSourceUnion {
  switch (source.kind) {
    case 'platform':
      return {
        type: 'PlatformImage',
        publisher: source.publisher,
        offer: source.offer,
        sku: source.sku,
        version: source.version,
      };
    case 'managedImage':
      return { type: 'ManagedImage', imageId: source.id };
    case 'galleryVersion':
      return { type: 'SharedImageVersion', imageVersionId: source.id };
  }
}

/**
 * A script as Image Builder runs it: from its staged blob (SAS URL and SHA-256), or else inline. Inline shell is
 * written to a file and run with `sh`, so the service's `sh -e` wrapper does not change how the script behaves.
 */
function scriptStep(
  c: Customization,
  staged: Map<string, StagedFile>,
): ImageTemplateCustomizerUnion & ImageTemplateInVMValidatorUnion {
  switch (c.kind) {
    case 'shell': {
      const file = staged.get(c.path);
      if (file) return { type: 'Shell', name: c.name, scriptUri: file.url, sha256Checksum: file.sha256 };
      const marker = 'VM_IMAGE_LIFECYCLE_EOF';
      const target = `/tmp/vm-image-lifecycle-${c.name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
      return {
        type: 'Shell',
        name: c.name,
        inline: [
          `cat > '${target}' <<'${marker}'`,
          ...fs.readFileSync(c.path, 'utf8').replace(/\n$/, '').split('\n'),
          marker,
          `sh '${target}'`,
        ],
      };
    }
    case 'powershell': {
      const file = staged.get(c.path);
      return file
        ? {
            type: 'PowerShell',
            name: c.name,
            scriptUri: file.url,
            sha256Checksum: file.sha256,
            runElevated: true,
          }
        : {
            type: 'PowerShell',
            name: c.name,
            inline: fs
              .readFileSync(c.path, 'utf8')
              .replace(/\r?\n$/, '')
              .split(/\r?\n/),
            runElevated: true,
          };
    }
    case 'file': {
      const file = staged.get(c.path);
      if (!file) throw new Error(`the file of step '${c.name}' was not staged`);
      return {
        type: 'File',
        name: c.name,
        sourceUri: file.url,
        sha256Checksum: file.sha256,
        destination: c.destination,
      };
    }
    default:
      throw new Error(`step '${c.name}' (${c.kind}) cannot be a script`);
  }
}

function customizerOf(c: Customization, staged: Map<string, StagedFile>): ImageTemplateCustomizerUnion {
  if (c.kind === 'restart') return { type: 'WindowsRestart', name: c.name, restartTimeout: '10m' };
  if (c.kind === 'windowsUpdate')
    return {
      type: 'WindowsUpdate',
      name: c.name,
      searchCriteria: 'IsInstalled=0',
      filters: ["exclude:$_.Title -like '*Preview*'", 'include:$true'],
      updateLimit: 40,
    };
  return scriptStep(c, staged);
}

function distributionOf(request: ImageBuilderRequest, templateName: string): ImageTemplateDistributorUnion[] {
  const d = request.distribution;
  const tags = { source: templateName, createdBy: TEMPLATE_TAGS.createdBy };
  const out: ImageTemplateDistributorUnion[] = [];
  if (d.managedImageId)
    out.push({
      type: 'ManagedImage',
      runOutputName: RUN_OUTPUTS.managedImage,
      imageId: d.managedImageId,
      location: request.location,
      artifactTags: tags,
    });
  if (d.galleryImageId)
    out.push({
      type: 'SharedImage',
      runOutputName: RUN_OUTPUTS.gallery,
      galleryImageId: d.galleryImageId,
      targetRegions: (d.replicationRegions.length ? d.replicationRegions : [request.location]).map(
        (name) => ({
          name,
          replicaCount: 1,
        }),
      ),
      excludeFromLatest: d.excludeFromLatest === true,
      artifactTags: tags,
    });
  // With a URI of the user's: the service's default place is the staging account, which goes with the template.
  if (d.vhdUrl) out.push({ type: 'VHD', runOutputName: RUN_OUTPUTS.vhd, uri: d.vhdUrl });
  return out;
}

/** The image template for a request: every file step refers to its staged blob. */
export function imageTemplateFor(
  request: ImageBuilderRequest,
  templateName: string,
  staged: Map<string, StagedFile>,
  tags: Record<string, string>,
): ImageTemplate {
  const steps = [...request.customizations, ...(request.baselineStep ? [request.baselineStep] : [])];
  const minutes = Math.min(MAX_BUILD_MINUTES, Math.max(1, Math.ceil(request.timeoutSeconds / 60)));
  const own = (request.userTemplate?.properties ?? {}) as Partial<ImageTemplate> & Record<string, unknown>;
  const customize = [...(own.customize ?? []), ...steps.map((c) => customizerOf(c, staged))];
  const validations = request.validations.map((c) => scriptStep(c, staged));
  return {
    ...own,
    location: request.location,
    tags: { ...((request.userTemplate?.tags as Record<string, string> | undefined) ?? {}), ...tags },
    identity: { type: 'UserAssigned', userAssignedIdentities: { [request.identityId]: {} } },
    source: own.source ?? sourceOf(request.source),
    customize,
    ...(validations.length || own.validate
      ? {
          validate: {
            ...(own.validate ?? {}),
            inVMValidations: [...(own.validate?.inVMValidations ?? []), ...validations],
          },
        }
      : {}),
    distribute: own.distribute?.length ? own.distribute : distributionOf(request, templateName),
    buildTimeoutInMinutes: minutes,
    vmProfile: {
      vmSize: request.vmSize,
      ...(request.osDiskSizeGB ? { osDiskSizeGB: request.osDiskSizeGB } : {}),
      ...(request.subnetId ? { vnetConfig: { subnetId: request.subnetId } } : {}),
      ...(own.vmProfile ?? {}),
    },
    ...(request.stagingResourceGroup ? { stagingResourceGroup: request.stagingResourceGroup } : {}),
    // Keep nothing of a failed build but its log: a failed customizer's VM would cost money until someone looks.
    errorHandling: own.errorHandling ?? { onCustomizerError: 'cleanup', onValidationError: 'cleanup' },
  };
}

/** Every local file the template refers to, to stage before it is created. */
export function filesToStage(request: ImageBuilderRequest): string[] {
  const steps = [
    ...request.customizations,
    ...(request.baselineStep ? [request.baselineStep] : []),
    ...request.validations,
  ];
  return steps.flatMap((c) => ('path' in c ? [c.path] : []));
}

/** A template's source as people write it: a URN for Marketplace images, else the resource id. */
export function describeTemplateSource(source: ImageTemplateSourceUnion): string {
  if ('imageId' in source) return source.imageId;
  if ('imageVersionId' in source) return source.imageVersionId;
  const p = source as { publisher?: string; offer?: string; sku?: string; version?: string };
  return `${p.publisher}:${p.offer}:${p.sku}:${p.version}`;
}
