import * as tl from 'azure-pipelines-task-lib/task';
import { createCredential } from '../azure/auth';
import type { AzureContext } from '../azure/context';
import type { AzureRmConnection } from '../azure/serviceConnection';
import { taskLogger } from './taskLogger';

declare const __EXTENSION_VERSION__: string | undefined;

export function createAzureContext(
  conn: AzureRmConnection,
  options: { task: string; signal: AbortSignal },
): AzureContext {
  const version = typeof __EXTENSION_VERSION__ === 'string' ? __EXTENSION_VERSION__ : 'dev';
  const pollSeconds = Number(tl.getVariable('VMImageLifecycle.PollIntervalSeconds') ?? '');
  return {
    credential: createCredential(conn),
    subscriptionId: conn.subscriptionId,
    resourceManagerUrl: conn.resourceManagerUrl,
    audience: conn.audience,
    userAgentPrefix: `VMImageLifecycle-${options.task}/${version}`,
    abortSignal: options.signal,
    logger: taskLogger,
    httpDebug: /^true$/i.test(tl.getVariable('System.Debug') ?? ''),
    pollIntervalMs: Number.isFinite(pollSeconds) && pollSeconds > 0 ? pollSeconds * 1000 : undefined,
  };
}
