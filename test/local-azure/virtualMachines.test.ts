// VMs of the local Azure boot for real: made from a managed image on a network interface through the real SDKs,
// they run the image's init in QEMU; managed Run Commands run inside through the image's agent, their whole
// output appended to blobs; an image without the agent never gets ready, and boot diagnostics show its console.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import {
  AnonymousCredential,
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  PageBlobClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { armClientOptions, computeClient } from '../../shared/azure/clients';
import { localContext } from '../harness/connections';
import { requireTool } from '../harness/systemTools';
import { startLocalAzure, type LocalAzure } from './index';
import { makeTestImage } from '../harness/testImage';
import { uploadTestImage } from '../harness/uploadImage';

const rg = 'rg-vms';
const lro = { updateIntervalInMs: 100 };

describe('local Azure virtual machines (QEMU) and managed Run Commands', function () {
  this.timeout(180_000);
  let azure: LocalAzure;
  let dir: string;
  let compute: ComputeManagementClient;
  let network: NetworkManagementClient;
  const images: Record<string, string> = {};
  const nics: Record<string, string> = {};

  before(async function () {
    requireTool(this, 'qemu-system-x86_64');
    requireTool(this, 'busybox');
    requireTool(this, 'linux-kernel');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-vms-'));
    azure = await startLocalAzure();
    azure.resourceGroup(rg);
    const ctx = localContext(azure);
    compute = computeClient(ctx);
    network = new NetworkManagementClient(ctx.credential, azure.subscriptionId, armClientOptions(ctx));
    const withAgent = makeTestImage(dir, 'with-agent', { files: { '/etc/motd': 'hello\n' } });
    const withoutAgent = makeTestImage(dir, 'without-agent', { agent: false });
    for (const [name, vhd] of [
      ['with-agent', withAgent.vhd],
      ['without-agent', withoutAgent.vhd],
    ]) {
      images[name] = await uploadTestImage(
        compute,
        { subscriptionId: azure.subscriptionId, resourceGroup: rg, name },
        vhd,
      );
    }
    const nsg = await network.networkSecurityGroups.createOrUpdate(
      rg,
      'smoke-nsg',
      { location: 'westeurope' },
      lro,
    );
    await network.virtualNetworks.createOrUpdate(
      rg,
      'smoke-vnet',
      {
        location: 'westeurope',
        addressSpace: { addressPrefixes: ['10.20.0.0/16'] },
        subnets: [{ name: 'vms', addressPrefix: '10.20.1.0/24', networkSecurityGroup: { id: nsg.id } }],
      },
      lro,
    );
    const subnet = await network.subnets.get(rg, 'smoke-vnet', 'vms');
    for (const name of ['nic-a', 'nic-b', 'nic-c']) {
      const nic = await network.networkInterfaces.createOrUpdate(
        rg,
        name,
        { location: 'westeurope', ipConfigurations: [{ name: 'ipconfig1', subnet: { id: subnet.id } }] },
        lro,
      );
      nics[name] = nic.id!;
    }
  });
  after(async () => {
    await azure?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const vmBody = (image: string, nic: string, size = 'Standard_B2s') => ({
    location: 'westeurope',
    hardwareProfile: { vmSize: size },
    storageProfile: {
      imageReference: { id: image },
      osDisk: { createOption: 'FromImage', deleteOption: 'Delete' },
    },
    osProfile: { computerName: 'smoke', adminUsername: 'azureuser', adminPassword: 'Local-Azure-0nly!' },
    networkProfile: { networkInterfaces: [{ id: nic, deleteOption: 'Delete' }] },
  });

  it('lists VM sizes with the generations they boot, and refuses an unknown size and a Gen2 image on a Gen1 size', async () => {
    const skus = [];
    for await (const s of compute.resourceSkus.list()) skus.push(s);
    const a2 = skus.find((s) => s.name === 'Standard_A2_v2');
    assert.equal(a2?.capabilities?.find((c) => c.name === 'HyperVGenerations')?.value, 'V1');
    await assert.rejects(
      compute.virtualMachines.createOrUpdate(
        rg,
        'vm-x',
        vmBody(images['with-agent'], nics['nic-c'], 'Standard_Nope'),
        lro,
      ),
      /VM size is not valid|provided for the VM size is not valid/,
    );
    await assert.rejects(
      compute.virtualMachines.createOrUpdate(
        rg,
        'vm-x',
        vmBody(images['with-agent'], nics['nic-c'], 'Standard_A2_v2'),
        lro,
      ),
      /cannot boot Hypervisor Generation '2'/,
    );
  });

  it('boots a VM from the image; its agent gets ready; a Run Command returns all its output through append blobs', async () => {
    const vm = await compute.virtualMachines.createOrUpdate(
      rg,
      'vm-a',
      vmBody(images['with-agent'], nics['nic-a']),
      lro,
    );
    assert.equal(vm.provisioningState, 'Succeeded');
    let view = await compute.virtualMachines.instanceView(rg, 'vm-a');
    for (let i = 0; i < 120 && view.vmAgent?.statuses?.[0]?.displayStatus !== 'Ready'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      view = await compute.virtualMachines.instanceView(rg, 'vm-a');
    }
    assert.equal(view.vmAgent?.statuses?.[0]?.displayStatus, 'Ready');

    const account = azure.blob!.accounts[0];
    const credential = new StorageSharedKeyCredential(account.name, account.key);
    const container = new BlobServiceClient(
      azure.blob!.blobEndpoint(account.name),
      credential,
    ).getContainerClient('runcommand');
    await container.createIfNotExists();
    const sasFor = (blob: string) =>
      `${container.getBlobClient(blob).url}?${generateBlobSASQueryParameters(
        {
          containerName: 'runcommand',
          blobName: blob,
          permissions: BlobSASPermissions.parse('racw'),
          expiresOn: new Date(Date.now() + 3600_000),
        },
        credential,
      ).toString()}`;
    const command = await compute.virtualMachineRunCommands.createOrUpdate(
      rg,
      'vm-a',
      'smoke',
      {
        location: 'westeurope',
        source: {
          script:
            'cat /etc/motd; i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo bad >&2; exit 4',
        },
        timeoutInSeconds: 120,
        outputBlobUri: sasFor('out.log'),
        errorBlobUri: sasFor('err.log'),
      },
      lro,
    );
    assert.equal(command.provisioningState, 'Succeeded');
    const withView = await compute.virtualMachineRunCommands.getByVirtualMachine(rg, 'vm-a', 'smoke', {
      expand: 'instanceView',
    });
    assert.equal(withView.instanceView?.executionState, 'Failed');
    assert.equal(withView.instanceView?.exitCode, 4);
    assert.equal(withView.instanceView?.output?.length, 4096, 'the instance view keeps 4 KB, as Azure does');
    const out = (await container.getBlobClient('out.log').downloadToBuffer()).toString();
    assert.ok(out.startsWith('hello\nline 0\n'));
    assert.ok(out.endsWith('line 1999\n'), 'the blob holds all of it');
    assert.equal((await container.getBlobClient('err.log').downloadToBuffer()).toString(), 'bad\n');
  });

  it('an image without the agent boots, never reports Ready, fails Run Commands, and shows its console in boot diagnostics', async () => {
    await compute.virtualMachines.createOrUpdate(
      rg,
      'vm-b',
      vmBody(images['without-agent'], nics['nic-b']),
      lro,
    );
    await new Promise((r) => setTimeout(r, 3000));
    const view = await compute.virtualMachines.instanceView(rg, 'vm-b');
    assert.equal(view.vmAgent?.statuses?.[0]?.displayStatus, 'Not Ready');
    await assert.rejects(
      compute.virtualMachineRunCommands.createOrUpdate(
        rg,
        'vm-b',
        'smoke',
        { location: 'westeurope', source: { script: 'true' } },
        lro,
      ),
      /VMAgentStatusCommunicationError|has not reported status for VM agent/,
    );
    let log = '';
    for (let i = 0; i < 60 && !/boot finished/.test(log); i++) {
      const diag = await compute.virtualMachines.retrieveBootDiagnosticsData(rg, 'vm-b');
      log = (
        await new PageBlobClient(diag.serialConsoleLogBlobUri!, new AnonymousCredential()).downloadToBuffer()
      ).toString();
      if (!/boot finished/.test(log)) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.match(log, /local-vm: boot finished/);
  });

  it('deletes a VM with its OS disk and NIC when their delete option says so, and the NIC no longer blocks the subnet', async () => {
    const vm = await compute.virtualMachines.get(rg, 'vm-a');
    const diskId = vm.storageProfile!.osDisk!.managedDisk!.id!;
    await compute.virtualMachines.delete(rg, 'vm-a', lro);
    assert.equal(
      azure.audit().some((r) => r.id.toLowerCase() === diskId.toLowerCase()),
      false,
      'OS disk deleted',
    );
    assert.equal(
      azure.audit().some((r) => r.id.toLowerCase() === nics['nic-a'].toLowerCase()),
      false,
      'NIC deleted',
    );
    await compute.virtualMachines.delete(rg, 'vm-b', lro);
  });
});
