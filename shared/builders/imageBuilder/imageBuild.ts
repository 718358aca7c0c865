import { isRestError } from '@azure/core-rest-pipeline';
import type {
  ImageTemplate,
  ImageTemplateLastRunStatus,
  ImageTemplateSourceUnion,
} from '@azure/arm-imagebuilder';
import { computeClient, imageBuilderClient, lroOptions } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import type { CleanupStack } from '../../azure/cleanup';
import { step } from '../../azure/errors';
import { parseResourceId, resourceName, type ResourceId } from '../../azure/resourceId';
import { parseBlobUrl } from '../../blobs/blobUrl';
import { sourceOs } from '../sourceOs';
import { describeSource } from '../sourceImage';
import { InputError } from '../../validation/inputError';
import { baselineScript, baselineVersion } from '../baseline';
import { checkCustomizationsFor, type Customization, type OsType } from '../customizations';
import { readCustomizationLog, logTail } from './buildLog';
import { removeStagedFiles, stageFiles } from './stagedFiles';
import {
  filesToStage,
  imageTemplateFor,
  RUN_OUTPUTS,
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

export interface BuildArtifact {
  runOutputName: string;
  artifactId?: string;
  artifactUri?: string;
}

export interface ImageBuildResult {
  templateId: string;
  runState: string;
  message?: string;
  /** The image the next task uses: the gallery version if one was made, else the managed image, else the VHD. */
  imageId?: string;
  artifacts: BuildArtifact[];
  logUrl?: string;
  logTail?: string[];
  /** The template's source, as the summary shows it (collect knows it only from the template). */
  source?: string;
  /** The version the service resolved the source to (`latest` → the exact Marketplace or gallery version). */
  sourceVersion?: string;
  startTime?: Date;
  endTime?: Date;
}

const TERMINAL = new Set(['Succeeded', 'PartiallySucceeded', 'Failed', 'Canceled']);
const STAGE_PERCENT: Record<string, number> = {
  Queued: 5,
  Building: 15,
  Customizing: 35,
  Optimizing: 65,
  Validating: 70,
  Distributing: 80,
};

function templateRef(id: string, input: string): { id: ResourceId; rg: string; name: string } {
  const parsed = parseResourceId(id, {
    input,
    expectedType: 'Microsoft.VirtualMachineImages/imageTemplates',
  });
  return { id: parsed, rg: parsed.resourceGroup!, name: resourceName(parsed) };
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
  if (d.galleryImageId) {
    const id = parseResourceId(d.galleryImageId, { input: 'targetImageVersionId' });
    const type = id.types.join('/').toLowerCase();
    if (type !== 'galleries/images' && type !== 'galleries/images/versions')
      throw new InputError(
        'targetImageVersionId',
        `expected a gallery image definition or version id (…/galleries/{gallery}/images/{definition}[/versions/{x.y.z}])`,
      );
    try {
      await computeClient(ctx, id.subscriptionId).galleryImages.get(
        id.resourceGroup!,
        id.names[0],
        id.names[1],
        {
          abortSignal: ctx.abortSignal,
        },
      );
    } catch (e) {
      if (isRestError(e) && e.statusCode === 404)
        throw new InputError(
          'targetImageVersionId',
          `the image definition '${id.names[1]}' in gallery '${id.names[0]}' does not exist: create it first (ShareToGallery creates definitions), so the build does not fail after hours`,
        );
      throw e;
    }
  }
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
  const baseline = options.baseline ? baselineScript(osType) : undefined;
  const baselineStep: Customization | undefined = baseline
    ? osType === 'Linux'
      ? { kind: 'shell', path: baseline.path, name: baseline.name }
      : { kind: 'powershell', path: baseline.path, name: baseline.name }
    : undefined;
  const request: ImageBuilderRequest = { ...options, osType, baselineStep };
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
    steps: [...steps, ...(baselineStep ? [baselineStep] : [])].map((s) => s.name),
  };
}

function describeTemplateSource(source: ImageTemplateSourceUnion): string {
  if ('imageId' in source) return source.imageId;
  if ('imageVersionId' in source) return source.imageVersionId;
  const p = source as { publisher?: string; offer?: string; sku?: string; version?: string };
  return `${p.publisher}:${p.offer}:${p.sku}:${p.version}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits for a template's run (started by this job or an earlier one), with progress by build stage, then reads
 * its artifacts, or its real customization log when it failed. Unless `keep`, the template and its staged files
 * are deleted at the end, and a build still running when the task stops (cancel, timeout) is cancelled first.
 */
export async function collectImageBuild(
  ctx: AzureContext,
  options: { templateId: string; keep: boolean; input?: string },
  hooks: BuildHooks,
): Promise<ImageBuildResult> {
  const input = options.input ?? 'templateId';
  const ref = templateRef(options.templateId, input);
  const client = imageBuilderClient(ctx, ref.id.subscriptionId);
  let template: ImageTemplate;
  try {
    template = await client.virtualMachineImageTemplates.get(ref.rg, ref.name, {
      abortSignal: ctx.abortSignal,
    });
  } catch (e) {
    if (isRestError(e) && e.statusCode === 404)
      throw new InputError(
        input,
        `image template '${options.templateId}' does not exist (was the build submitted, or already collected?)`,
      );
    throw e;
  }
  let finished = false;
  if (!options.keep) {
    const staged = template.tags?.[TEMPLATE_TAGS.stagedFiles];
    if (staged)
      hooks.cleanup.defer(`staged build files ${staged}`, (signal) => removeStagedFiles(ctx, staged, signal));
    hooks.cleanup.defer(`image template ${ref.name}`, async (signal) => {
      const lro = { ...lroOptions(ctx), abortSignal: signal };
      // A build still running (cancelled task, timeout) is stopped first: the service refuses to delete it.
      if (!finished)
        await client.virtualMachineImageTemplates.cancel(ref.rg, ref.name, lro).catch(() => undefined);
      await client.virtualMachineImageTemplates.delete(ref.rg, ref.name, lro);
    });
  }
  let last = '';
  let status: ImageTemplateLastRunStatus | undefined = template.lastRunStatus;
  const interval = ctx.pollIntervalMs ?? 15_000;
  while (!status?.runState || !TERMINAL.has(status.runState)) {
    const stage = status?.runState === 'Canceling' ? 'Canceling' : (status?.runSubState ?? 'Queued');
    if (stage !== last) {
      hooks.onProgress?.(STAGE_PERCENT[stage] ?? 50, `Image Builder: ${stage}`);
      last = stage;
    }
    await sleep(interval, ctx.abortSignal);
    template = await client.virtualMachineImageTemplates.get(ref.rg, ref.name, {
      abortSignal: ctx.abortSignal,
    });
    status = template.lastRunStatus;
    if (!status && template.provisioningState === 'Failed')
      throw new Error(
        `image template ${ref.name} failed: ${template.provisioningError?.message ?? 'no run'}`,
      );
  }
  finished = true;
  const runState = status.runState;
  const result: ImageBuildResult = {
    templateId: template.id ?? options.templateId,
    runState,
    message: status.message,
    artifacts: [],
    source: template.source ? describeTemplateSource(template.source) : undefined,
    sourceVersion: (template.source as { exactVersion?: string } | undefined)?.exactVersion,
    startTime: status.startTime,
    endTime: status.endTime,
  };
  if (runState === 'Succeeded' || runState === 'PartiallySucceeded') {
    for await (const output of client.virtualMachineImageTemplates.listRunOutputs(ref.rg, ref.name, {
      abortSignal: ctx.abortSignal,
    }))
      result.artifacts.push({
        runOutputName: output.name ?? '',
        artifactId: output.artifactId,
        artifactUri: output.artifactUri,
      });
    const by = (name: string) => result.artifacts.find((a) => a.runOutputName === name);
    result.imageId =
      by(RUN_OUTPUTS.gallery)?.artifactId ??
      by(RUN_OUTPUTS.managedImage)?.artifactId ??
      by(RUN_OUTPUTS.vhd)?.artifactUri ??
      result.artifacts[0]?.artifactId ??
      result.artifacts[0]?.artifactUri;
  }
  const staging = template.exactStagingResourceGroup;
  if (staging) {
    // The log is worth reading on every outcome (the URL goes to an output); on failure its tail is the message.
    const log = await readCustomizationLog(ctx, staging, hooks.onSecret).catch((e: unknown) => {
      ctx.logger.warn(
        `Could not read the build's customization.log in ${staging}: ${e instanceof Error ? e.message : String(e)}`,
      );
      return undefined;
    });
    if (log) {
      result.logUrl = log.url;
      if (runState !== 'Succeeded') result.logTail = logTail(log.text);
    }
  }
  hooks.onProgress?.(100, `Image Builder: ${runState}`);
  return result;
}
