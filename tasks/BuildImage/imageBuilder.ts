import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { withDeadline } from '../../shared/azure/deadline';
import { formatResourceId } from '../../shared/azure/resourceId';
import { parseCustomizations } from '../../shared/builders/customizations';
import { collectImageBuild, type ImageBuildResult } from '../../shared/builders/imageBuilder/collect';
import { submitImageBuild, type SubmittedBuild } from '../../shared/builders/imageBuilder/submit';
import { RUN_OUTPUTS } from '../../shared/builders/imageBuilder/templateModel';
import {
  readBoolean,
  readEnum,
  readLines,
  readPath,
  readResourceId,
  readString,
} from '../../shared/pipeline/inputs';
import type { TaskRunContext } from '../../shared/pipeline/runTask';
import { InputError } from '../../shared/validation/inputError';
import { readBuildRequest, readTimeout } from './request';
import { buildSummaryMarkdown } from './summary';

/** A template name Azure accepts (1–64 of letters, digits, `-`, `_`, `.`), unique per run. */
function defaultTemplateName(buildNumber: string | undefined): string {
  const base = (buildNumber ?? 'run').replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40);
  return `build-${base}-${randomBytes(3).toString('hex')}`;
}

function readUserTemplate(): Record<string, unknown> | undefined {
  const file = readPath('templatePath', { mustExist: true });
  if (!file) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(
      'templatePath',
      `'${file}' is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (
    !parsed ||
    typeof parsed !== 'object' ||
    typeof (parsed as { properties?: unknown }).properties !== 'object'
  )
    throw new InputError(
      'templatePath',
      `'${file}' must be an image template: a JSON object with "properties"`,
    );
  return parsed as Record<string, unknown>;
}

function outputs(run: TaskRunContext, result: ImageBuildResult): void {
  run.output('templateId', result.templateId);
  if (result.imageId) run.output('imageId', result.imageId);
  if (result.logUrl) run.output('buildLogUrl', result.logUrl);
  const by = (name: string) => result.artifacts.find((a) => a.runOutputName === name);
  const managed = by(RUN_OUTPUTS.managedImage)?.artifactId;
  const version = by(RUN_OUTPUTS.gallery)?.artifactId;
  const vhd = by(RUN_OUTPUTS.vhd)?.artifactUri;
  if (managed) run.output('managedImageId', managed);
  if (version) run.output('galleryImageVersionId', version);
  if (vhd) run.output('vhdUri', vhd);
  if (result.startTime && result.endTime)
    run.output(
      'durationSeconds',
      String(Math.round((result.endTime.getTime() - result.startTime.getTime()) / 1000)),
    );
}

/** BuildImage with Azure VM Image Builder: build (submit + collect), submit, or collect. */
export async function buildWithImageBuilder(run: TaskRunContext): Promise<void> {
  const mode = readEnum('mode', ['build', 'submit', 'collect'], 'build');
  const keep = readBoolean('keepTemplate');
  const progress = run.progress('Image build');
  const hooks = {
    cleanup: run.cleanup,
    onSecret: run.secret,
    onProgress: (p: number, s: string) => progress(p, s),
  };
  let submitted: SubmittedBuild | undefined;
  let templateId: string;
  const timeoutSeconds = readTimeout();
  if (mode === 'collect') {
    templateId = formatResourceId(
      readResourceId('templateId', {
        required: true,
        expectedType: 'Microsoft.VirtualMachineImages/imageTemplates',
      }),
    );
  } else {
    const userTemplate = readUserTemplate();
    const request = readBuildRequest({
      sourceOptional: Boolean(
        userTemplate?.properties && (userTemplate.properties as { source?: unknown }).source,
      ),
    });
    const identity = readResourceId('identityId', {
      expectedType: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    });
    if (!identity)
      throw new InputError(
        'identityId',
        'Image Builder needs a user-assigned managed identity to act as: give its resource id (…/Microsoft.ManagedIdentity/userAssignedIdentities/{name})',
      );
    const staging = readResourceId('stagingResourceGroup');
    const ctx = await run.connect();
    submitted = await submitImageBuild(
      ctx,
      {
        ...request,
        identityId: formatResourceId(identity),
        stagingResourceGroup: staging ? formatResourceId(staging) : undefined,
        validations: parseCustomizations(readLines('validationScripts'), {
          input: 'validationScripts',
          baseDirectory: process.cwd(),
        }),
        userTemplate,
        templateName: readString('templateName') ?? defaultTemplateName(run.buildNumber),
        filesContainerUrl: readString('stagingContainerUrl'),
        keep,
      },
      hooks,
    );
    templateId = submitted.templateId;
    run.output('templateId', templateId);
    if (submitted.baselineVersion) run.output('baselineVersion', submitted.baselineVersion);
    run.logger.info(`Image template ${templateId} is building (${submitted.steps.length} steps).`);
    if (mode === 'submit') {
      run.summary(buildSummaryMarkdown({ builder: 'ImageBuilder', mode, source: request.source, submitted }));
      return;
    }
  }
  const { ctx, expired } = withDeadline(await run.connect(), timeoutSeconds);
  const result = await collectImageBuild(ctx, { templateId, keep }, hooks).catch((e: unknown) => {
    throw expired(e);
  });
  outputs(run, result);
  if (result.logUrl) run.logger.info(`Build log: ${result.logUrl}`);
  for (const a of result.artifacts)
    run.logger.info(`Built ${a.runOutputName}: ${a.artifactId ?? a.artifactUri}`);
  run.summary(buildSummaryMarkdown({ builder: 'ImageBuilder', mode, submitted, result }));
  if (result.runState === 'PartiallySucceeded')
    run.issue(`The build partially succeeded: ${result.message ?? ''}`);
  if (result.runState !== 'Succeeded' && result.runState !== 'PartiallySucceeded') {
    if (result.logTail?.length) {
      run.logger.error(`Last lines of the build's customization.log (${result.logUrl}):`);
      for (const line of result.logTail) run.logger.info(line);
    }
    throw new Error(
      `Image Builder build ${result.runState}: ${result.message ?? 'no message'}${result.logTail?.length ? `\nLast log line: ${result.logTail[result.logTail.length - 1]}` : ''}`,
    );
  }
}
