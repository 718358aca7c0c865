import { AnonymousCredential, AppendBlobClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { VmHost } from '../../vm/vmHost';
import { armErrors } from '../errors';
import { resourceBody, type StoredResource } from '../store';
import { trackedResource } from './tracked';
import type { ResourceTypeSpec } from './types';

/*
 * Managed Run Commands (virtualMachines/runCommands), shaped on ComputeRP: the script runs inside the VM through
 * the image's agent; its whole stdout and stderr are appended to the append blobs named by outputBlobUri and
 * errorBlobUri (SAS URLs), while the instance view keeps only the first 4 KB, as Azure's does. The create ends
 * when the script ends (unless asyncExecution), a timeout kills it (TimedOut), deleting a running command cancels
 * it, and a VM whose agent is not ready fails the command, as in Azure.
 */
type Props = Record<string, unknown>;
const INSTANCE_VIEW_OUTPUT = 4096;
const APPEND_BLOCK = 4 * 1024 * 1024;

interface Execution {
  state: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'TimedOut' | 'Canceled';
  exitCode?: number;
  output: string;
  error: string;
  message?: string;
  startTime?: string;
  endTime?: string;
  done: boolean;
  failure?: { code: string; message: string };
  cancel: AbortController;
}

async function append(sasUrl: string, data: Buffer, options: StoragePipelineOptions): Promise<void> {
  const blob = new AppendBlobClient(sasUrl, new AnonymousCredential(), options);
  await blob.createIfNotExists();
  for (let offset = 0; offset < data.length; offset += APPEND_BLOCK) {
    const chunk = data.subarray(offset, offset + APPEND_BLOCK);
    await blob.appendBlock(chunk, chunk.length);
  }
}

export function runCommandsProvider(
  host?: VmHost,
  storageOptions: StoragePipelineOptions = {},
): ResourceTypeSpec {
  const executions = new Map<string, Execution>();
  const key = (r: StoredResource) => r.id.toLowerCase();
  const instanceView = (r: StoredResource) => {
    const e = executions.get(key(r));
    if (!e) return undefined;
    return {
      executionState: e.state,
      executionMessage: e.message ?? '',
      exitCode: e.exitCode ?? 0,
      output: e.output.slice(0, INSTANCE_VIEW_OUTPUT),
      error: e.error.slice(0, INSTANCE_VIEW_OUTPUT),
      startTime: e.startTime,
      endTime: e.endTime,
    };
  };
  return {
    type: 'Microsoft.Compute/virtualMachines/runCommands',
    asyncCreate: true,
    asyncDelete: true,
    write(ctx) {
      if (ctx.existing) return { ...ctx.existing, tags: ctx.body.tags as Record<string, string> | undefined };
      const vm = ctx.parent!;
      const p = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
      const source = ((p.source as Props | undefined) ?? {}) as Props;
      if (typeof source.script !== 'string' || !source.script)
        throw armErrors.invalidParameter(
          'The local Azure runs inline scripts: set source.script.',
          'source.script',
        );
      const timeout = Number(p.timeoutInSeconds ?? 0);
      if (!Number.isInteger(timeout) || timeout < 0 || timeout > 5400)
        throw armErrors.invalidParameter('timeoutInSeconds must be between 0 and 5400.', 'timeoutInSeconds');
      const execution: Execution = {
        state: 'Pending',
        output: '',
        error: '',
        done: false,
        cancel: new AbortController(),
      };
      const resource: StoredResource = {
        ...trackedResource(ctx),
        properties: {
          source: { script: source.script },
          ...(p.parameters ? { parameters: p.parameters } : {}),
          asyncExecution: p.asyncExecution === true,
          timeoutInSeconds: timeout,
          treatFailureAsDeploymentFailure: p.treatFailureAsDeploymentFailure === true,
          ...(p.outputBlobUri ? { outputBlobUri: p.outputBlobUri } : {}),
          ...(p.errorBlobUri ? { errorBlobUri: p.errorBlobUri } : {}),
        },
      };
      executions.set(ctx.id.toLowerCase(), execution);
      const local = host?.vm(String(vm.properties.vmId));
      void (async () => {
        if (!local?.agentReady) {
          execution.state = 'Failed';
          execution.failure = {
            code: 'VMAgentStatusCommunicationError',
            message: `VM '${vm.name}' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure storage.`,
          };
          execution.message = execution.failure.message;
          execution.done = true;
          return;
        }
        execution.state = 'Running';
        execution.startTime = new Date().toISOString();
        const timer =
          timeout > 0 ? setTimeout(() => execution.cancel.abort('timeout'), timeout * 1000) : undefined;
        try {
          const result = await local.run(String(source.script), { signal: execution.cancel.signal });
          execution.output = result.stdout.toString();
          execution.error = result.stderr.toString();
          execution.exitCode = result.exitCode;
          if (typeof p.outputBlobUri === 'string')
            await append(p.outputBlobUri, result.stdout, storageOptions);
          if (typeof p.errorBlobUri === 'string') await append(p.errorBlobUri, result.stderr, storageOptions);
          const reason = execution.cancel.signal.reason as string | undefined;
          execution.state = execution.cancel.signal.aborted
            ? reason === 'timeout'
              ? 'TimedOut'
              : 'Canceled'
            : result.exitCode === 0
              ? 'Succeeded'
              : 'Failed';
          if (execution.state === 'TimedOut')
            execution.message = `Execution timed out after ${timeout} seconds.`;
          if (resource.properties.treatFailureAsDeploymentFailure && execution.state !== 'Succeeded')
            execution.failure = {
              code: 'VMExtensionProvisioningError',
              message: `Run command '${ctx.name}' ended ${execution.state} with exit code ${result.exitCode}.`,
            };
        } catch (e) {
          execution.state = 'Failed';
          execution.message = e instanceof Error ? e.message : String(e);
          execution.failure = { code: 'RunCommandExecutionFailed', message: execution.message };
        } finally {
          clearTimeout(timer);
          execution.endTime = new Date().toISOString();
          execution.done = true;
        }
      })();
      return resource;
    },
    writeOperation(resource) {
      const execution = executions.get(key(resource));
      const wait = resource.properties.asyncExecution !== true;
      return {
        durationMs: 0,
        until: () => {
          if (!execution) return { done: true };
          if (execution.failure && execution.done) return { done: true, error: execution.failure };
          return { done: !wait || execution.done };
        },
      };
    },
    beforeDelete({ resource }) {
      // Deleting a command that runs cancels it.
      executions.get(key(resource))?.cancel.abort('cancel');
    },
    onDeleted(resource) {
      executions.delete(key(resource));
    },
    present(r, query) {
      const body = resourceBody(r) as { properties: Props };
      if ((query.get('$expand') ?? '').toLowerCase() === 'instanceview') {
        const view = instanceView(r);
        return { ...body, properties: { ...body.properties, ...(view ? { instanceView: view } : {}) } };
      }
      return body;
    },
  };
}
