import { randomBytes } from 'node:crypto';
import { isRestError } from '@azure/core-rest-pipeline';
import { getIfExists } from '../azure/armLookup';
import { computeClient } from '../azure/clients';
import type { CleanupStack } from '../azure/cleanup';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import { normalizeRegion } from '../azure/regions';
import { expectResourceType, formatResourceId, type ResourceId } from '../azure/resourceId';
import { Temporaries } from '../azure/temporaries';
import { parseBlobUrl } from '../blobs/blobUrl';
import { InputError } from '../validation/inputError';
import { BASELINE_VERSION, LINUX_BASELINE_CHECKS, WINDOWS_BASELINE_CHECKS } from './baseline';
import { readSmokeImage, type SmokeImage } from './image';
import { linuxCheckScript } from './linuxScript';
import { smokeTestNic } from './network';
import { parseCheckResults, type CheckResult } from './results';
import { runScriptInVm, type ScriptRun } from './runCommand';
import type { Check, CheckSpec } from './spec';
import { createSmokeVm, serialLogTail, vmPassword, waitForVmAgent } from './vm';
import { windowsCheckScript } from './windowsScript';

export interface SmokeTestRequest {
  image: ResourceId;
  spec: CheckSpec;
  resourceGroup: string;
  /** Empty: the image's own region (a gallery version's home region). */
  location?: string;
  vmSize: string;
  subnetId?: ResourceId;
  /** Longest the checks may run (the Run Command's timeout). */
  timeoutSeconds: number;
  /** Longest the VM agent may take to report Ready after the VM was created. */
  agentTimeoutSeconds: number;
  keepVmOnFailure: boolean;
  /** Container for the Run Command's output blobs: https://{account}.blob.…/{container}. */
  outputContainerUrl: string;
}

export interface SmokeTestResult {
  image: SmokeImage;
  location: string;
  vmSize: string;
  vmName: string;
  checks: Check[];
  baselineVersion?: string;
  /** False when the VM agent never got ready: no check ran, `serialLog` says why. */
  agentReady: boolean;
  serialLog?: string;
  results: CheckResult[];
  run?: ScriptRun;
  passed: boolean;
  /** Why the run is judged failed beyond the checks themselves (exit code and result lines disagree, ...). */
  problems: string[];
  bootMs: number;
  checksMs: number;
  removed: string[];
  /** What was left on purpose (keepVmOnFailure). */
  kept: string[];
}

/** Run Command's own limit is 90 minutes; under a minute no VM gets through its checks. */
export const TIMEOUT_SECONDS = { min: 60, max: 5400 };

/** The request, checked once without Azure. */
export function smokeTestRequest(request: SmokeTestRequest): SmokeTestRequest {
  expectResourceType(
    'imageId',
    request.image,
    ['Microsoft.Compute/images', 'Microsoft.Compute/galleries/images/versions'],
    'a managed image or a gallery image version',
  );
  if (request.subnetId)
    expectResourceType(
      'subnetId',
      request.subnetId,
      ['Microsoft.Network/virtualNetworks/subnets'],
      'a subnet',
    );
  if (request.timeoutSeconds < TIMEOUT_SECONDS.min || request.timeoutSeconds > TIMEOUT_SECONDS.max)
    throw new InputError(
      'timeout',
      `${request.timeoutSeconds} s is out of range: give 1m to 90m (Run Command's own limit)`,
    );
  checkContainerUrl(request.outputContainerUrl);
  if (!/^[A-Za-z0-9_]+$/.test(request.vmSize))
    throw new InputError('vmSize', `'${request.vmSize}' is not a VM size name`);
  return {
    ...request,
    location: request.location ? normalizeRegion('location', request.location) : undefined,
  };
}

/** A container URL (account and container, no blob, no SAS): the Run Command's output blobs go in it. */
function checkContainerUrl(url: string): void {
  if (url.includes('?'))
    throw new InputError(
      'outputContainerUrl',
      'must be given without a SAS: the task makes short grants itself',
    );
  parseBlobUrl('outputContainerUrl', `${url.replace(/\/+$/, '')}/probe`);
}

/**
 * Boots a VM from the image in the given resource group (a NIC without public IP on the given subnet or on a
 * temporary network), waits for its agent, runs every check as one managed Run Command, and deletes all it made,
 * on success, failure and cancellation (through `cleanup`), unless asked to keep a failed VM.
 */
export async function runSmokeTest(
  ctx: AzureContext,
  request: SmokeTestRequest,
  hooks: {
    cleanup?: CleanupStack;
    onSecret?: (s: string) => void;
    onStage?: (stage: string, percent: number) => void;
  } = {},
): Promise<SmokeTestResult> {
  const image = await readSmokeImage(ctx, request.image);
  const location = request.location ?? image.home;
  if (!image.regions.includes(location)) {
    throw new InputError(
      'location',
      image.kind === 'galleryVersion'
        ? `the image version is not replicated to ${location}; it is in ${image.regions.join(', ')} (add the region with ShareToGallery, or test in one of those)`
        : `the managed image is in ${image.home}; a VM from it can only be made there`,
    );
  }
  const os = image.osType === 'Windows' ? 'windows' : 'linux';
  if (request.spec.os !== os)
    throw new InputError(
      'checksPath',
      `the checks are for ${request.spec.os} (os: ${request.spec.os}) but the image is ${image.osType}`,
    );
  await checkVmSize(ctx, request.vmSize, location, image);
  const checks = [
    ...request.spec.checks,
    ...(request.spec.baseline ? (os === 'linux' ? LINUX_BASELINE_CHECKS : WINDOWS_BASELINE_CHECKS) : []),
  ];
  const script = os === 'linux' ? linuxCheckScript(checks) : windowsCheckScript(checks);
  const client = computeClient(ctx);
  const vmName = `smoke-${randomBytes(4).toString('hex')}`;
  await getIfExists(
    () => client.virtualMachines.get(request.resourceGroup, vmName, { abortSignal: ctx.abortSignal }),
    'resourceGroupName',
    request.resourceGroup,
  );
  const temporaries = new Temporaries(hooks.cleanup);
  const result: SmokeTestResult = {
    image,
    location,
    vmSize: request.vmSize,
    vmName,
    checks,
    baselineVersion: request.spec.baseline ? BASELINE_VERSION : undefined,
    agentReady: false,
    results: [],
    passed: false,
    problems: [],
    bootMs: 0,
    checksMs: 0,
    removed: [],
    kept: [],
  };
  const target = { resourceGroup: request.resourceGroup, location, name: vmName };
  hooks.onStage?.('network', 5);
  const nicId = await smokeTestNic(
    ctx,
    {
      ...target,
      prefix: vmName,
      subnetId: request.subnetId ? formatResourceId(request.subnetId) : undefined,
    },
    temporaries,
  );
  const password = vmPassword();
  hooks.onSecret?.(password);
  hooks.onStage?.('vm', 15);
  const booted = Date.now();
  await createSmokeVm(ctx, image, { ...target, vmSize: request.vmSize, nicId }, password, temporaries);
  hooks.onStage?.('agent', 40);
  result.agentReady = await step(
    `waiting for the VM agent of '${vmName}'`,
    () => waitForVmAgent(ctx, target, request.agentTimeoutSeconds * 1000),
    ctx.abortSignal,
  );
  result.bootMs = Date.now() - booted;
  if (!result.agentReady) {
    result.serialLog = await serialLogTail(ctx, target);
    result.problems.push(
      `the VM agent did not report Ready within ${request.agentTimeoutSeconds} s: the image has no working VM agent, or did not boot (serial log below)`,
    );
  } else {
    hooks.onStage?.('checks', 60);
    const run = await runScriptInVm(
      ctx,
      target,
      script,
      {
        outputContainerUrl: request.outputContainerUrl,
        timeoutSeconds: request.timeoutSeconds,
        onSecret: hooks.onSecret,
      },
      temporaries,
    );
    result.run = run;
    result.checksMs = run.durationMs;
    result.results = parseCheckResults(checks, run.stdout);
    const notPassed = result.results.filter((r) => r.status !== 'pass').length;
    if (run.executionState === 'TimedOut')
      result.problems.push(`the checks did not finish within ${request.timeoutSeconds} s (timeout)`);
    if (run.exitCode !== Math.min(notPassed, 100))
      result.problems.push(
        `the check script exited ${run.exitCode} but ${notPassed} check(s) did not pass: its output is incomplete or something else ran${run.stderr ? ` (stderr: ${run.stderr.slice(0, 300)})` : ''}`,
      );
  }
  result.passed =
    result.agentReady && result.problems.length === 0 && result.results.every((r) => r.status === 'pass');
  hooks.onStage?.('teardown', 90);
  if (!result.passed && request.keepVmOnFailure) {
    result.kept = temporaries.release();
  } else {
    result.removed = await step(
      'deleting the test VM and its network',
      () => temporaries.removeAll(),
      ctx.abortSignal,
    );
    await verifyGone(ctx, target);
  }
  hooks.onStage?.('done', 100);
  return result;
}

async function checkVmSize(
  ctx: AzureContext,
  vmSize: string,
  location: string,
  image: SmokeImage,
): Promise<void> {
  const client = computeClient(ctx);
  const sizes = [];
  for await (const sku of client.resourceSkus.list({
    filter: `location eq '${location}'`,
    abortSignal: ctx.abortSignal,
  }))
    if (sku.resourceType === 'virtualMachines') sizes.push(sku);
  const size = sizes.find((s) => s.name?.toLowerCase() === vmSize.toLowerCase());
  if (!size) {
    throw new InputError(
      'vmSize',
      `'${vmSize}' is not a VM size available in ${location}; for example ${sizes
        .slice(0, 5)
        .map((s) => s.name)
        .join(', ')}`,
    );
  }
  const generations = size.capabilities?.find((c) => c.name === 'HyperVGenerations')?.value ?? 'V1';
  if (!generations.split(',').includes(image.hyperVGeneration)) {
    const fitting = sizes.filter((s) =>
      (s.capabilities?.find((c) => c.name === 'HyperVGenerations')?.value ?? '').includes(
        image.hyperVGeneration,
      ),
    );
    throw new InputError(
      'vmSize',
      `${size.name} boots Hyper-V generation ${generations} only, and the image is ${image.hyperVGeneration}; choose a size such as ${fitting
        .slice(0, 3)
        .map((s) => s.name)
        .join(', ')}`,
    );
  }
}

/** The deletes finished: the VM is gone (its OS disk and NIC went with it). */
async function verifyGone(ctx: AzureContext, vm: { resourceGroup: string; name: string }): Promise<void> {
  try {
    await computeClient(ctx).virtualMachines.get(vm.resourceGroup, vm.name, { abortSignal: ctx.abortSignal });
  } catch (e) {
    if (isRestError(e) && e.statusCode === 404) return;
    throw e;
  }
  throw new Error(`VM '${vm.name}' still exists after its deletion finished`);
}
