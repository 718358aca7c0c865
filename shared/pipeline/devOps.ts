import * as tl from 'azure-pipelines-task-lib/task';
import { registerSecret } from './secrets';

/** What a task knows of the Azure DevOps run it is part of: where it runs, which commit, and the job's token. */
export interface DevOpsRun {
  collectionUri: string;
  project: string;
  /** The job's access token (System.AccessToken), registered as a secret; undefined when the job has none. */
  accessToken?: string;
  buildRunUrl?: string;
  commit?: string;
}

export function readDevOpsRun(): DevOpsRun {
  const collectionUri =
    tl.getVariable('System.CollectionUri') ?? tl.getVariable('System.TeamFoundationCollectionUri') ?? '';
  const project = tl.getVariable('System.TeamProject') ?? '';
  const buildId = tl.getVariable('Build.BuildId');
  // Read from the endpoint object (no debug echo), then masked before anything can print it.
  const accessToken =
    Object.entries(tl.getEndpointAuthorization('SystemVssConnection', true)?.parameters ?? {}).find(
      ([k]) => k.toLowerCase() === 'accesstoken',
    )?.[1] ?? process.env.SYSTEM_ACCESSTOKEN;
  registerSecret(accessToken);
  return {
    collectionUri,
    project,
    accessToken: accessToken || undefined,
    buildRunUrl:
      collectionUri && project && buildId
        ? `${collectionUri.replace(/\/?$/, '/')}${encodeURIComponent(project)}/_build/results?buildId=${buildId}`
        : undefined,
    commit: tl.getVariable('Build.SourceVersion') || undefined,
  };
}
