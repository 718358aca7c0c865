import { isRestError } from '@azure/core-rest-pipeline';
import type { ImageTemplate, ImageTemplateLastRunStatus } from '@azure/arm-imagebuilder';
import { imageBuilderClient, lroOptions } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { parseResourceId, resourceName, type ResourceId } from '../../azure/resourceId';
import { InputError } from '../../validation/inputError';
import { readCustomizationLog, logTail } from './buildLog';
import { removeStagedFiles } from './stagedFiles';
import { describeTemplateSource, RUN_OUTPUTS, TEMPLATE_TAGS } from './templateModel';
import type { BuildHooks } from './submit';

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
