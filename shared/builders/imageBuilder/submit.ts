import { isRestError } from '@azure/core-rest-pipeline';
import type { ImageTemplate } from '@azure/arm-imagebuilder';
import { imageBuilderClient, lroOptions } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import type { CleanupStack } from '../../azure/cleanup';
import { step } from '../../azure/errors';
import { parseResourceId } from '../../azure/resourceId';
import { parseBlobUrl } from '../../blobs/blobUrl';
import { InputError } from '../../validation/inputError';
import { baselineStep, baselineVersion } from '../baseline';
import { checkCustomizationsFor, type Customization, type OsType } from '../customizations';
import { galleryTarget } from '../galleryTarget';
import { sourceOs } from '../sourceOs';
import { describeSource } from '../sourceImage';
import { removeStagedFiles, stageFiles } from './stagedFiles';
import {
  describeTemplateSource,
  filesToStage,
  imageTemplateFor,
  TEMPLATE_TAGS,
  type ImageBuilderRequest,
} from './templateModel';

export interface BuildHooks {
  cleanup: CleanupStack;
  onSecret: (value: string) => void;
  onProgress?: (percent: number, stage: string) => void;
}

export interface SubmitOptions extends ImageBuilderRequest {
  templateName: string;
  /** Container the build's local files are staged in (scripts, files to copy in); without it scripts go inline. */
  filesContainerUrl?: string;
  /** Keep the template and staged files after the build (to look at them); by default both are deleted. */
  keep: boolean;
}

export interface SubmittedBuild {
  templateId: string;
  /** The source as the user gave it, or the template file's. */
  source: string;
  templateName: string;
  osType: OsType;
  baselineVersion?: string;
  steps: string[];
}

async function checkDistribution(ctx: AzureContext, request: ImageBuilderRequest): Promise<void> {
  const d = request.distribution;
  if (!request.userTemplate && !d.managedImageId && !d.galleryImageId && !d.vhdUrl)
    throw new InputError(
      'targetImageVersionId',
      'no distribution target: give a gallery image (targetImageVersionId), a managed image (targetManagedImageId) or a VHD blob URL (targetVhdUrl)',
    );
  if (d.vhdUrl) {
    if (d.vhdUrl.includes('?'))
      throw new InputError(
        'targetVhdUrl',
        'must not carry a SAS: Image Builder writes the blob as its identity',
      );
    parseBlobUrl('targetVhdUrl', d.vhdUrl);
  }
  if (d.managedImageId)
    parseResourceId(d.managedImageId, {
      input: 'targetManagedImageId',
      expectedType: 'Microsoft.Compute/images',
    });
  if (d.galleryImageId) await galleryTarget(ctx, d.galleryImageId);
}

/** Errors of the template's create operation that come from an input, named after it. */
function inputOfProvisioningError(e: unknown): InputError | undefined {
  const message = e instanceof Error ? e.message : String(e);
  // A failed create operation reaches the poller as text ("The long-running operation has failed. <code>. …").
  const code =
    (isRestError(e) ? e.code : (e as { code?: string } | undefined)?.code) ??
    /\b(Bad[A-Za-z]+|NoCustomizerScript|UnsupportedCustomizerType)\b/.exec(message)?.[1];
  switch (code) {
    case 'BadPIRSource':
    case 'BadManagedImageSource':
    case 'BadSharedImageVersionSource':
    case 'BadSourceType':
      return new InputError('sourceImage', `Image Builder cannot use the source image: ${message}`);
    case 'BadSharedImageDistribute':
      return new InputError('targetImageVersionId', `Image Builder cannot distribute there: ${message}`);
    case 'NoCustomizerScript':
    case 'BadCustomizerType':
      return new InputError('customizationScripts', message);
  }
  if (/identity/i.test(message) && isRestError(e) && e.statusCode === 400)
    return new InputError('identityId', message);
  return undefined;
}

/**
 * Creates the image template and starts its run; returns once the service accepted the run (submit mode). What
 * was made is removed again if anything fails before that; afterwards the template carries, in a tag, what a
 * later collect has to clean up.
 */
export async function submitImageBuild(
  ctx: AzureContext,
  options: SubmitOptions,
  hooks: BuildHooks,
): Promise<SubmittedBuild> {
  const osType = await sourceOs(ctx, options);
  const steps: Customization[] = [...options.customizations];
  checkCustomizationsFor(osType, steps);
  checkCustomizationsFor(osType, options.validations, 'validationScripts');
  await checkDistribution(ctx, options);
  const baseline = options.baseline ? baselineStep(osType) : undefined;
  const request: ImageBuilderRequest = { ...options, osType, baselineStep: baseline };
  const files = filesToStage(request);
  const fileSteps = steps.filter((s) => s.kind === 'file');
  if (fileSteps.length && !options.filesContainerUrl)
    throw new InputError(
      'stagingContainerUrl',
      `'${fileSteps[0].name}' copies a file into the image; Image Builder reads such files from a blob container: give one`,
    );
  hooks.onProgress?.(1, 'Preparing the image template');
  const client = imageBuilderClient(ctx);
  const templateId = `/subscriptions/${ctx.subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.VirtualMachineImages/imageTemplates/${options.templateName}`;
  const dropOnFailure: (() => void)[] = [];
  let staged = new Map<string, { url: string; sha256: string }>();
  const tags: Record<string, string> = { createdBy: TEMPLATE_TAGS.createdBy };
  if (options.filesContainerUrl && files.length) {
    // Image Builder reads them while it builds: the SAS lasts the whole build, plus an hour of queueing.
    const sasSeconds = Math.min(7 * 86_400, options.timeoutSeconds + 3600);
    const result = await stageFiles(
      ctx,
      'stagingContainerUrl',
      options.filesContainerUrl,
      files,
      sasSeconds,
      hooks.onSecret,
    );
    staged = result.files;
    tags[TEMPLATE_TAGS.stagedFiles] = result.prefixUrl;
    dropOnFailure.push(
      hooks.cleanup.defer(`staged build files ${result.prefixUrl}`, (signal) =>
        removeStagedFiles(ctx, result.prefixUrl, signal),
      ),
    );
  }
  const template: ImageTemplate = imageTemplateFor(request, options.templateName, staged, tags);
  dropOnFailure.push(
    hooks.cleanup.defer(`image template ${options.templateName}`, async (signal) => {
      await client.virtualMachineImageTemplates.delete(options.resourceGroup, options.templateName, {
        ...lroOptions(ctx),
        abortSignal: signal,
      });
    }),
  );
  try {
    await client.virtualMachineImageTemplates.createOrUpdate(
      options.resourceGroup,
      options.templateName,
      template,
      lroOptions(ctx),
    );
  } catch (e) {
    throw inputOfProvisioningError(e) ?? e;
  }
  hooks.onProgress?.(3, 'Image template created; starting the build');
  await step(
    `starting the build of image template ${options.templateName}`,
    () =>
      client.virtualMachineImageTemplates.beginRun(
        options.resourceGroup,
        options.templateName,
        lroOptions(ctx),
      ),
    ctx.abortSignal,
  );
  // From here on the run is the service's: a collect (this job's, or a later one's) waits for it and cleans up.
  for (const drop of dropOnFailure) drop();
  return {
    templateId,
    source: template.source ? describeTemplateSource(template.source) : describeSource(options.source),
    templateName: options.templateName,
    osType,
    baselineVersion: baseline ? baselineVersion(osType) : undefined,
    steps: [...steps, ...(baseline ? [baseline] : [])].map((s) => s.name),
  };
}
