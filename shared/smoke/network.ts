import { setTimeout as delay } from 'node:timers/promises';
import { isRestError } from '@azure/core-rest-pipeline';
import { cleanupPoll } from '../disks/snapshots';
import { lroOptions, networkClient } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import type { Temporaries } from '../azure/temporaries';

/**
 * A removal that waits for what still uses the resource: on cancellation every removal starts at once, and Azure
 * refuses to delete a network or NSG while the VM's NIC still holds it (InUse…), so those retry until it is free
 * or the cleanup's own time is up.
 */
function whenFree(remove: (signal: AbortSignal) => Promise<unknown>) {
  return async (signal: AbortSignal) => {
    for (;;) {
      try {
        return await remove(signal);
      } catch (e) {
        if (!(isRestError(e) && /InUse/i.test(e.code ?? '')) || signal.aborted) throw e;
        await delay(1_000, undefined, { signal });
      }
    }
  };
}

/**
 * The smoke-test VM's network: a NIC without a public IP, on the given subnet, or else on a temporary virtual
 * network whose subnet has an NSG that admits nothing from outside (Azure's default rules deny Internet
 * inbound). Everything made here is a temporary, removed after the test.
 */
export async function smokeTestNic(
  ctx: AzureContext,
  target: { resourceGroup: string; location: string; prefix: string; subnetId?: string },
  temporaries: Temporaries,
): Promise<string> {
  const client = networkClient(ctx);
  const rg = target.resourceGroup;
  let subnetId = target.subnetId;
  if (!subnetId) {
    const nsgName = `${target.prefix}-nsg`;
    const vnetName = `${target.prefix}-vnet`;
    const nsg = await temporaries.create(
      `network security group ${nsgName}`,
      whenFree((signal) => client.networkSecurityGroups.delete(rg, nsgName, cleanupPoll(ctx, signal))),
      () =>
        step(
          `creating network security group '${nsgName}'`,
          () =>
            client.networkSecurityGroups.createOrUpdate(
              rg,
              nsgName,
              { location: target.location, securityRules: [] },
              lroOptions(ctx),
            ),
          ctx.abortSignal,
        ),
    );
    await temporaries.create(
      `virtual network ${vnetName}`,
      whenFree((signal) => client.virtualNetworks.delete(rg, vnetName, cleanupPoll(ctx, signal))),
      () =>
        step(
          `creating virtual network '${vnetName}'`,
          () =>
            client.virtualNetworks.createOrUpdate(
              rg,
              vnetName,
              {
                location: target.location,
                addressSpace: { addressPrefixes: ['10.240.0.0/24'] },
                subnets: [
                  { name: 'smoke', addressPrefix: '10.240.0.0/26', networkSecurityGroup: { id: nsg.id } },
                ],
              },
              lroOptions(ctx),
            ),
          ctx.abortSignal,
        ),
    );
    subnetId = (await client.subnets.get(rg, vnetName, 'smoke', { abortSignal: ctx.abortSignal })).id!;
  }
  const nicName = `${target.prefix}-nic`;
  const nic = await temporaries.create(
    `network interface ${nicName}`,
    whenFree((signal) => client.networkInterfaces.delete(rg, nicName, cleanupPoll(ctx, signal))),
    () =>
      step(
        `creating network interface '${nicName}'`,
        () =>
          client.networkInterfaces.createOrUpdate(
            rg,
            nicName,
            {
              location: target.location,
              ipConfigurations: [{ name: 'ipconfig1', subnet: { id: subnetId } }],
            },
            lroOptions(ctx),
          ),
        ctx.abortSignal,
      ),
  );
  return nic.id!;
}
