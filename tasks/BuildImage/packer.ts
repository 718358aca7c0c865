import { packerCredentials } from '../../shared/builders/packer/credentials';
import { runPackerBuild } from '../../shared/builders/packer/packerBuild';
import { checkTemplateFile } from '../../shared/builders/packer/packerRun';
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
  const progress = run.progress('Packer build');
  const {
    result,
    steps,
    baselineVersion: baseline,
  } = await runPackerBuild(
    ctx,
    {
      request,
      templatePath: templateInput,
      packer: tool,
      credentials,
      variables,
      workDirectory: run.tempDirectory,
      tags: { createdBy: 'vmImageLifecycle', ...(run.buildNumber ? { buildNumber: run.buildNumber } : {}) },
    },
    {
      cleanup: run.cleanup,
      onLine: (line, level) => (level === 'error' ? run.logger.error(line) : run.logger.info(line)),
      onProgress: (percent, stage) => progress(percent, stage),
    },
  ).catch((e: unknown) => {
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
  if (result.exitCode !== 0)
    throw new Error(
      `packer build failed (exit code ${result.exitCode}): ${result.errors.slice(-3).join(' | ') || 'see the log'}`,
    );
}
