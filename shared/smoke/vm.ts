import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { VirtualMachine } from '@azure/arm-compute';
import { AnonymousCredential, BlobClient } from '@azure/storage-blob';
import { computeClient, lroOptions, storageClientOptions } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import type { Temporaries } from '../azure/temporaries';
import { cleanupPoll } from '../disks/snapshots';
import type { SmokeImage } from './image';

export interface SmokeVmRequest {
  resourceGroup: string;
  location: string;
  name: string;
  vmSize: string;
  nicId: string;
}

/** A password Azure accepts (12+ characters of three kinds), made here and masked before anything uses it. */
export function vmPassword(): string {
  return `Vil-${randomBytes(18).toString('base64url')}-7a`;
}

/**
 * The VM: the image on the NIC, the OS disk and NIC deleted with it, Trusted Launch with Secure Boot and vTPM
 * when the image definition needs (or supports) it. Registered for removal before it is asked for.
 */
export async function createSmokeVm(
  ctx: AzureContext,
  image: SmokeImage,
  request: SmokeVmRequest,
  password: string,
  temporaries: Temporaries,
): Promise<VirtualMachine> {
  const client = computeClient(ctx);
  const trustedLaunch = image.hyperVGeneration === 'V2' && /^TrustedLaunch/.test(image.securityType ?? '');
  const body: VirtualMachine = {
    location: request.location,
    hardwareProfile: { vmSize: request.vmSize },
    storageProfile: {
      imageReference: { id: image.id },
      osDisk: {
        createOption: 'FromImage',
        deleteOption: 'Delete',
        managedDisk: { storageAccountType: 'StandardSSD_LRS' },
      },
    },
    osProfile: {
      computerName: request.name.slice(0, 15),
      adminUsername: 'smoketest',
      adminPassword: password,
      ...(image.osType === 'Linux'
        ? { linuxConfiguration: { disablePasswordAuthentication: false, provisionVMAgent: true } }
        : { windowsConfiguration: { provisionVMAgent: true } }),
    },
    networkProfile: { networkInterfaces: [{ id: request.nicId, primary: true, deleteOption: 'Delete' }] },
    securityProfile: trustedLaunch
      ? { securityType: 'TrustedLaunch', uefiSettings: { secureBootEnabled: true, vTpmEnabled: true } }
      : undefined,
    diagnosticsProfile: { bootDiagnostics: { enabled: true } },
  };
  return temporaries.create(
    `virtual machine ${request.name} (with its OS disk and NIC)`,
    (signal) => client.virtualMachines.delete(request.resourceGroup, request.name, cleanupPoll(ctx, signal)),
    () =>
      step(
        `creating VM '${request.name}' (${request.vmSize}) from ${image.id}`,
        () =>
          client.virtualMachines.createOrUpdate(request.resourceGroup, request.name, body, lroOptions(ctx)),
        ctx.abortSignal,
      ),
  );
}

/** Waits for the VM agent to report Ready; false when the time is up (an image without a working agent). */
export async function waitForVmAgent(
  ctx: AzureContext,
  request: { resourceGroup: string; name: string },
  timeoutMs: number,
): Promise<boolean> {
  const client = computeClient(ctx);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await client.virtualMachines.instanceView(request.resourceGroup, request.name, {
      abortSignal: ctx.abortSignal,
    });
    if (view.vmAgent?.statuses?.some((s) => s.displayStatus === 'Ready')) return true;
    if (Date.now() >= deadline) return false;
    await delay(Math.min(ctx.pollIntervalMs ?? 10_000, Math.max(0, deadline - Date.now())), undefined, {
      signal: ctx.abortSignal,
    });
  }
}

/** The end of the VM's serial console log (boot diagnostics), to show why an agent never got ready. */
export async function serialLogTail(
  ctx: AzureContext,
  request: { resourceGroup: string; name: string },
  lines = 40,
): Promise<string> {
  const client = computeClient(ctx);
  try {
    const diag = await client.virtualMachines.retrieveBootDiagnosticsData(
      request.resourceGroup,
      request.name,
      {
        sasUriExpirationTimeInMinutes: 10,
        abortSignal: ctx.abortSignal,
      },
    );
    if (!diag.serialConsoleLogBlobUri) return '(no serial log)';
    const log = (
      await new BlobClient(
        diag.serialConsoleLogBlobUri,
        new AnonymousCredential(),
        storageClientOptions(ctx),
      ).downloadToBuffer()
    ).toString('utf8');
    return log.split(/\r?\n/).slice(-lines).join('\n');
  } catch (e) {
    return `(boot diagnostics could not be read: ${e instanceof Error ? e.message : String(e)})`;
  }
}
