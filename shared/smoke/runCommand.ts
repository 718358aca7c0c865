import { BlobClient } from '@azure/storage-blob';
import { computeClient, lroOptions, storageClientOptions } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import type { Temporaries } from '../azure/temporaries';
import { userDelegationUrl } from '../blobs/readSas';
import { cleanupPoll } from '../disks/snapshots';

export interface ScriptRun {
  exitCode: number;
  executionState: string;
  executionMessage?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Runs the whole check script as ONE managed Run Command (virtualMachines/runCommands; the older runCommand
 * action keeps only 4,096 bytes of output and cannot be cancelled), with an explicit timeout, its stdout and
 * stderr appended to two blobs of the given container through a short user delegation SAS, and read back in
 * full with the connection's token. The command and the blobs are temporaries: removed afterwards.
 */
export async function runScriptInVm(
  ctx: AzureContext,
  vm: { resourceGroup: string; name: string; location: string },
  script: string,
  options: { outputContainerUrl: string; timeoutSeconds: number; onSecret?: (s: string) => void },
  temporaries: Temporaries,
): Promise<ScriptRun> {
  const client = computeClient(ctx);
  const container = options.outputContainerUrl.replace(/\/+$/, '');
  const blobs = {
    out: `${container}/${vm.name}-stdout.log`,
    err: `${container}/${vm.name}-stderr.log`,
  };
  const sasSeconds = options.timeoutSeconds + 15 * 60;
  const out = await userDelegationUrl(ctx, 'outputContainerUrl', blobs.out, sasSeconds, 'racw');
  const err = await userDelegationUrl(ctx, 'outputContainerUrl', blobs.err, sasSeconds, 'racw');
  for (const s of [out.url, err.url]) options.onSecret?.(s);
  const reader = (url: string) => new BlobClient(url, ctx.credential, storageClientOptions(ctx));
  for (const [label, url] of [
    ['standard output', blobs.out],
    ['standard error', blobs.err],
  ])
    temporaries.keep(`${label} blob ${url}`, (signal) => reader(url).deleteIfExists({ abortSignal: signal }));
  const name = 'smoke-test-checks';
  const started = Date.now();
  await temporaries.create(
    `run command ${name} on ${vm.name}`,
    (signal) =>
      client.virtualMachineRunCommands.delete(vm.resourceGroup, vm.name, name, cleanupPoll(ctx, signal)),
    () =>
      step(
        `running the checks in VM '${vm.name}'`,
        () =>
          client.virtualMachineRunCommands.createOrUpdate(
            vm.resourceGroup,
            vm.name,
            name,
            {
              location: vm.location,
              source: { script },
              timeoutInSeconds: options.timeoutSeconds,
              asyncExecution: false,
              outputBlobUri: out.url,
              errorBlobUri: err.url,
            },
            lroOptions(ctx),
          ),
        ctx.abortSignal,
      ),
  );
  const view = (
    await client.virtualMachineRunCommands.getByVirtualMachine(vm.resourceGroup, vm.name, name, {
      expand: 'instanceView',
      abortSignal: ctx.abortSignal,
    })
  ).instanceView;
  const read = async (url: string) => {
    const blob = reader(url);
    return (await blob.exists({ abortSignal: ctx.abortSignal }))
      ? (await blob.downloadToBuffer(0, undefined, { abortSignal: ctx.abortSignal })).toString('utf8')
      : '';
  };
  return {
    exitCode: view?.exitCode ?? -1,
    executionState: view?.executionState ?? 'Unknown',
    executionMessage: view?.executionMessage,
    // The blobs hold everything; the instance view's copy is cut at 4 KB.
    stdout: await read(blobs.out),
    stderr: await read(blobs.err),
    durationMs: Date.now() - started,
  };
}
