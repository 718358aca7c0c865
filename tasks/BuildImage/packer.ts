import * as fs from 'node:fs';
import * as path from 'node:path';
import { baselineScript, baselineVersion } from '../../shared/builders/baseline';
import { checkCustomizationsFor, type Customization } from '../../shared/builders/customizations';
import { nextGalleryVersion } from '../../shared/builders/packer/targets';
import { sourceOs } from '../../shared/builders/sourceOs';
import { builtinPackerTemplate } from '../../shared/builders/packer/builtinTemplate';
import { packerCredentials } from '../../shared/builders/packer/credentials';
import {
  checkTemplateFile,
  packerBuild,
  packerInit,
  packerValidate,
} from '../../shared/builders/packer/packerRun';
import { readKeyValues, readPath, readString } from '../../shared/pipeline/inputs';
import { resolvePacker } from '../../shared/pipeline/packerTool';
import type { TaskRunContext } from '../../shared/pipeline/runTask';
import { withDeadline } from '../../shared/azure/deadline';
import { readBuildRequest } from './request';
import { buildSummaryMarkdown } from './summary';

/** BuildImage with HashiCorp Packer on the agent: the user's template, or the built-in one for the inputs. */
export async function buildWithPacker(run: TaskRunContext): Promise<void> {
  const templateInput = readPath('templatePath', { mustExist: true });
  if (templateInput) checkTemplateFile(templateInput);
  const request = readBuildRequest({ sourceOptional: templateInput !== undefined });
  const variables = readKeyValues('packerVariables');
  const tool = await resolvePacker({ version: readString('packerVersion') });
  run.logger.info(`Packer ${tool.version} (${tool.source}): ${tool.path}`);
  const conn = await run.connection();
  const base = await run.connect();
  const { ctx, expired } = withDeadline(base, request.timeoutSeconds);
  const credentials = await packerCredentials(conn, { caPem: ctx.trustedCaPem, signal: ctx.abortSignal });
  for (const s of credentials.secrets) run.secret(s);
  if (credentials.expiresOn)
    run.logger.info(
      `Packer signs in with the connection's federated token, valid until ${credentials.expiresOn.toISOString()}: packer cannot renew it, so a build that needs to sign in again after that fails (Image Builder has no such limit).`,
    );
  for (const [name, value] of Object.entries(variables))
    if (/secret|password|token/i.test(name)) run.secret(value);
  let templatePath = templateInput;
  let steps: string[] = [];
  let baseline: string | undefined;
  if (!templatePath) {
    const osType = await sourceOs(ctx, request);
    const own: Customization[] = [...request.customizations];
    checkCustomizationsFor(osType, own);
    if (request.baseline) {
      const script = baselineScript(osType);
      own.push(osType === 'Linux' ? { kind: 'shell', ...script } : { kind: 'powershell', ...script });
      baseline = baselineVersion(osType);
    }
    steps = own.map((s) => s.name);
    const galleryVersion = await nextGalleryVersion(ctx, request.distribution.galleryImageId);
    templatePath = path.join(run.tempDirectory, `vm-image-lifecycle-${Date.now()}.pkr.hcl`);
    fs.writeFileSync(
      templatePath,
      builtinPackerTemplate({
        request: { ...request, osType },
        auth: credentials.auth,
        steps: own,
        galleryVersion,
        requiredPlugins: !/^1\.[0-6]\./.test(tool.version),
        tags: { createdBy: 'vmImageLifecycle', ...(run.buildNumber ? { buildNumber: run.buildNumber } : {}) },
      }),
    );
    run.cleanup.defer(`generated template ${templatePath}`, () =>
      Promise.resolve(fs.rmSync(templatePath!, { force: true })),
    );
    run.logger.info(`Built-in ${osType} template written to ${templatePath}`);
  }
  const env = {
    ...credentials.env,
    ...Object.fromEntries(Object.entries(variables).map(([k, v]) => [`PKR_VAR_${k}`, v])),
  };
  const options = {
    packer: tool,
    templatePath,
    env,
    signal: ctx.abortSignal,
    onLine: (line: string, level: string) =>
      level === 'error' ? run.logger.error(line) : run.logger.info(line),
  };
  const progress = run.progress('Packer build');
  progress(2, 'packer init');
  await packerInit(options);
  progress(5, 'packer validate');
  await packerValidate(options);
  progress(10, 'packer build');
  const result = await packerBuild(options).catch((e: unknown) => {
    throw expired(e);
  });
  const azure = result.azure;
  for (const sas of azure?.sasUris ?? []) run.secret(sas);
  const imageId =
    azure?.galleryImageVersionId ?? azure?.managedImageId ?? azure?.vhdUri ?? result.artifacts[0]?.id;
  if (imageId) run.output('imageId', imageId);
  if (azure?.managedImageId) run.output('managedImageId', azure.managedImageId);
  if (azure?.galleryImageVersionId) run.output('galleryImageVersionId', azure.galleryImageVersionId);
  if (azure?.vhdUri) run.output('vhdUri', azure.vhdUri);
  if (baseline) run.output('baselineVersion', baseline);
  run.output('durationSeconds', String(Math.round(result.seconds)));
  const artifacts = [
    ...(azure?.managedImageId ? [{ name: 'managed image', value: azure.managedImageId }] : []),
    ...(azure?.galleryImageVersionId
      ? [{ name: 'gallery image version', value: azure.galleryImageVersionId }]
      : []),
    ...(azure?.vhdUri ? [{ name: 'VHD', value: azure.vhdUri }] : []),
    ...(!azure ? result.artifacts.filter((a) => a.id).map((a) => ({ name: a.target, value: a.id! })) : []),
  ];
  run.summary(
    buildSummaryMarkdown({
      builder: 'Packer',
      mode: 'build',
      source: request.source,
      packer: {
        steps,
        baselineVersion: baseline,
        artifacts,
        seconds: result.seconds,
        exitCode: result.exitCode,
        logTail: result.logTail,
      },
    }),
  );
  progress(100, result.exitCode === 0 ? 'done' : 'failed');
  if (result.exitCode !== 0)
    throw new Error(
      `packer build failed (exit code ${result.exitCode}): ${result.errors.slice(-3).join(' | ') || 'see the log'}`,
    );
}
