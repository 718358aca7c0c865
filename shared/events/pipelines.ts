import { getBearerHandler, WebApi } from 'azure-devops-node-api';
import { InputError } from '../validation/inputError';

export interface DownstreamPipeline {
  project: string;
  pipelineId: number;
}

/** `project/pipelineId` per line (the project may hold spaces); everything else names the line. */
export function parsePipelines(input: string, lines: string[]): DownstreamPipeline[] {
  return lines.map((line, i) => {
    const m = /^(.+)\/(\d+)$/.exec(line.trim());
    if (!m || !m[1].trim())
      throw new InputError(
        input,
        `line ${i + 1} '${line}' is not 'project/pipelineId' (for example 'platform/42')`,
      );
    return { project: m[1].trim(), pipelineId: Number(m[2]) };
  });
}

function pipelinesApi(devOps: { collectionUri: string; accessToken: string }) {
  return new WebApi(devOps.collectionUri, getBearerHandler(devOps.accessToken)).getPipelinesApi();
}

/** Every listed pipeline exists and the job may see it: checked before anything is announced. */
export async function checkPipelines(
  devOps: { collectionUri: string; accessToken: string },
  pipelines: DownstreamPipeline[],
): Promise<void> {
  if (!pipelines.length) return;
  const api = await pipelinesApi(devOps);
  for (const p of pipelines) {
    const found = await api
      .getPipeline(p.project, p.pipelineId)
      .catch((e: Error & { statusCode?: number }) => {
        if (e.statusCode === 404) return undefined;
        throw e;
      });
    if (!found?.id)
      throw new InputError(
        'pipelines',
        `pipeline ${p.project}/${p.pipelineId} was not found, or the job's identity may not see it`,
      );
  }
}

export interface QueuedRun {
  project: string;
  pipelineId: number;
  runId: number;
  url: string;
}

/**
 * Queues each pipeline with the job's access token, passing the image version as a template parameter and as a
 * variable (a pipeline declares one or the other). A pipeline that does not exist names its line.
 */
export async function queuePipelines(
  devOps: { collectionUri: string; accessToken: string },
  pipelines: DownstreamPipeline[],
  values: Record<string, string>,
): Promise<QueuedRun[]> {
  const api = await pipelinesApi(devOps);
  const runs: QueuedRun[] = [];
  for (const p of pipelines) {
    const run = await api
      .runPipeline(
        {
          templateParameters: values,
          variables: Object.fromEntries(
            Object.entries(values).map(([k, value]) => [k, { value, isSecret: false }]),
          ),
        },
        p.project,
        p.pipelineId,
      )
      .catch((e: Error & { statusCode?: number }) => {
        if (e.statusCode === 404)
          throw new InputError(
            'pipelines',
            `pipeline ${p.project}/${p.pipelineId} was not found: ${e.message}`,
          );
        throw e;
      });
    const links = run._links as { web?: { href?: string } } | undefined;
    runs.push({
      project: p.project,
      pipelineId: p.pipelineId,
      runId: run.id ?? 0,
      url: links?.web?.href ?? run.url ?? '',
    });
  }
  return runs;
}
