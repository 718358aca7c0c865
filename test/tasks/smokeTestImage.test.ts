// SmokeTestImage through the harness against the local Azure, on real booted images: a check passes or fails
// because of what is in the image. Every run boots its own VM (about 10–15 s) and must leave nothing behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { armClientOptions, computeClient } from '../../shared/azure/clients';
import { localContext, serviceConnectionEnv } from '../harness/connections';
import { describeRun, leakedSecrets, runTask } from '../harness/runTask';
import { requireTool } from '../harness/systemTools';
import { startLocalAzure, type LocalAzure } from '../local-azure/index';
import { makeTestImage, WEB_SERVER_IMAGE } from '../harness/testImage';
import { uploadTestImage } from '../harness/uploadImage';

const CONNECTION_ID = 'conn';
const rg = 'rg-smoke';

const PASSING = `
os: linux
checks:
  - name: nginx installed
    package: nginx
    version: ">= 1.24"
  - name: web server running
    service: httpd
    enabled: true
    active: true
  - name: login banner
    file: /etc/motd
    mode: "0644"
    contains: Authorized use only
  - name: web port
    port: 8080
  - name: no IP forwarding
    sysctl: net.ipv4.ip_forward
    value: 0
  - name: deploy user
    user: deploy
    groups: [sudo]
  - name: big output is read in full
    command: "i=0; while [ $i -lt 1500 ]; do echo line $i; i=$((i+1)); done"
    output: "line 1499"
`;

const FAILING = `
checks:
  - name: nginx 2 installed
    package: nginx
    version: ">= 2.0"
  - name: database port
    port: 5432
  - name: login banner
    file: /etc/motd
    contains: Authorized use only
`;

describe('SmokeTestImage task (harness + local Azure, real VMs in QEMU)', function () {
  this.timeout(240_000);
  let azure: LocalAzure;
  let dir: string;
  let client: ComputeManagementClient;
  let good: string;
  const workDirs: string[] = [];
  let noAgent: string;
  const file = (name: string, content: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };

  before(async function () {
    requireTool(this, 'qemu-system-x86_64');
    requireTool(this, 'busybox');
    requireTool(this, 'linux-kernel');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-task-'));
    azure = await startLocalAzure({ blobOAuth: true });
    azure.resourceGroup(rg);
    client = computeClient(localContext(azure));
    const target = { subscriptionId: azure.subscriptionId, resourceGroup: rg };
    const goodImage = makeTestImage(dir, 'good', WEB_SERVER_IMAGE);
    good = await uploadTestImage(
      client,
      { ...target, name: 'good' },
      goodImage.vhd,
      azure.blob!.clientOptions,
    );
    const bare = makeTestImage(dir, 'no-agent', { agent: false });
    noAgent = await uploadTestImage(
      client,
      { ...target, name: 'no-agent' },
      bare.vhd,
      azure.blob!.clientOptions,
    );
    const account = azure.blob!.accounts[0];
    await new BlobServiceClient(
      azure.blob!.blobEndpoint(account.name),
      new StorageSharedKeyCredential(account.name, account.key),
      azure.blob!.clientOptions,
    )
      .getContainerClient('smoke-output')
      .create();
  });
  after(async () => {
    for (const w of workDirs) fs.rmSync(w, { recursive: true, force: true });
    await azure?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  let galleryVersionId = '';
  /** A version of the good image in a gallery whose definition supports Trusted Launch (made once). */
  async function galleryVersion(): Promise<string> {
    if (galleryVersionId) return galleryVersionId;
    const lro = { updateIntervalInMs: 50 };
    await client.galleries.createOrUpdate(rg, 'smoke_gallery', { location: 'westeurope' }, lro);
    await client.galleryImages.createOrUpdate(
      rg,
      'smoke_gallery',
      'web',
      {
        location: 'westeurope',
        osType: 'Linux',
        osState: 'Generalized',
        hyperVGeneration: 'V2',
        identifier: { publisher: 'contoso', offer: 'web', sku: 'smoke' },
        features: [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }],
      },
      lro,
    );
    // Azure takes no managed image as the source of a Trusted Launch capable definition: a disk of it is fine.
    const disk = await client.disks.createOrUpdate(
      rg,
      'web-os',
      { location: 'westeurope', creationData: { createOption: 'FromImage', imageReference: { id: good } } },
      lro,
    );
    const v = await client.galleryImageVersions.createOrUpdate(
      rg,
      'smoke_gallery',
      'web',
      '1.0.0',
      {
        location: 'westeurope',
        publishingProfile: { targetRegions: [{ name: 'westeurope' }] },
        storageProfile: { osDiskImage: { source: { id: disk.id } } },
      },
      lro,
    );
    galleryVersionId = v.id!;
    return galleryVersionId;
  }

  /** What exists beyond the fixtures (images, the gallery version and its disk, storage accounts): a run must leave nothing. */
  const leftovers = () =>
    azure
      .audit({ created: true })
      .filter(
        (r) =>
          r.type !== 'Microsoft.Compute/images' &&
          r.type !== 'Microsoft.Storage/storageAccounts' &&
          !r.type.startsWith('Microsoft.Compute/galleries') &&
          !r.id.endsWith('/disks/web-os'),
      );
  const run = (
    inputs: Record<string, string>,
    options: { cancelOnOutput?: RegExp; keepWorkDir?: boolean } = {},
  ) =>
    runTask('SmokeTestImage', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        imageId: good,
        resourceGroupName: rg,
        vmSize: 'Standard_B2s',
        outputContainerUrl: `${azure.blob!.blobEndpoint(azure.blob!.accounts[0].name)}/smoke-output`,
        agentTimeout: '90s',
        ...inputs,
      },
      env: {
        ...serviceConnectionEnv(azure, 'federated', CONNECTION_ID),
        VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.3',
      },
      timeoutMs: 200_000,
      ...options,
    });

  it('passes a spec the image meets: JUnit published, output read in full, nothing left, the VM password never printed', async () => {
    const result = await run({ checksPath: file('passing.yml', PASSING) }, { keepWorkDir: true });
    workDirs.push(result.workDir!);
    assert.equal(result.result, 'Succeeded', describeRun(result));
    assert.equal(result.variables.passed.value, 'true');
    const junit = fs.readFileSync(result.variables.testResultsPath.value, 'utf8');
    assert.match(junit, /<testsuite name="SmokeTestImage" tests="7" failures="0" errors="0"/);
    assert.ok(
      result.commands.some((c) => c.name === 'results.publish' && c.props.type === 'JUnit'),
      describeRun(result),
    );
    assert.match(result.summaries[0].content, /\| big output is read in full \| pass \|/);
    assert.match(result.summaries[0].content, /7 of 7 passed/);
    const password = result.secrets.find((s) => s.startsWith('Vil-'));
    assert.ok(password, 'the generated VM password is a secret');
    assert.deepEqual(leakedSecrets(result, [password]), []);
    // The Run Command's output blobs were written through SAS URLs: masked too.
    const sas = result.secrets.filter((x) => x.includes('sig='));
    assert.equal(sas.length, 2, 'both output blob SAS URLs are secrets');
    assert.deepEqual(leakedSecrets(result, sas), []);
    assert.deepEqual(leftovers(), []);
  });

  it('on a given subnet it makes only the NIC (no network of its own), and removes it', async () => {
    const ctx = localContext(azure);
    const network = new NetworkManagementClient(ctx.credential, azure.subscriptionId, armClientOptions(ctx));
    const lro = { updateIntervalInMs: 50 };
    await network.virtualNetworks.createOrUpdate(
      rg,
      'corp-vnet',
      {
        location: 'westeurope',
        addressSpace: { addressPrefixes: ['10.50.0.0/16'] },
        subnets: [{ name: 'images', addressPrefix: '10.50.1.0/24' }],
      },
      lro,
    );
    const subnet = await network.subnets.get(rg, 'corp-vnet', 'images');
    const seen = azure.requests.length;
    const result = await run({
      checksPath: file('subnet.yml', 'checks:\n  - { name: banner, file: /etc/motd }\n'),
      subnetId: subnet.id!,
    });
    assert.equal(result.result, 'Succeeded', describeRun(result));
    const puts = azure.requests
      .slice(seen)
      .filter((r) => r.method === 'PUT')
      .map((r) => r.path.split('/providers/')[1]?.split('/')[1]);
    assert.equal(puts.includes('virtualNetworks'), false, 'no network of its own');
    assert.equal(puts.includes('networkSecurityGroups'), false, 'no NSG of its own');
    assert.ok(puts.includes('networkInterfaces'));
    await network.virtualNetworks.delete(rg, 'corp-vnet', lro);
    assert.deepEqual(leftovers(), []);
  });

  it('fails a spec the image does not meet, naming each failing check in the task result and the JUnit file', async () => {
    const result = await run({ checksPath: file('failing.yml', FAILING) }, { keepWorkDir: true });
    workDirs.push(result.workDir!);
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.equal(result.variables.passed.value, 'false');
    assert.match(result.resultMessage ?? '', /nginx 2 installed \(fail: version 1\.24\.0-2\)/);
    assert.match(result.resultMessage ?? '', /database port \(fail: not listening\)/);
    const junit = fs.readFileSync(result.variables.testResultsPath.value, 'utf8');
    assert.match(junit, /tests="3" failures="2" errors="0"/);
    assert.match(
      junit,
      /<testcase classname="SmokeTestImage.port" name="database port"[^>]*>\s*<failure message="expected tcp port 5432 listening; found not listening"/,
    );
    assert.deepEqual(leftovers(), []);
  });

  it('an image without the VM agent: the serial log is shown, the task fails, nothing is left', async () => {
    const result = await run({
      imageId: noAgent,
      checksPath: file('passing2.yml', PASSING),
      agentTimeout: '20s',
    });
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.resultMessage ?? '', /VM agent did not report Ready within 20 s/);
    assert.match(
      result.summaries[0].content,
      /Serial log \(boot diagnostics\)[\s\S]*local-vm: (init started|boot finished)/,
    );
    assert.deepEqual(leftovers(), []);
  });

  it('a failure injected while the VM is created fails the task and removes the network it made', async () => {
    azure.faults.add({
      kind: 'failOperation',
      method: 'PUT',
      path: /\/virtualMachines\/smoke-[0-9a-f]+$/,
      error: {
        code: 'AllocationFailed',
        message:
          'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
      },
    });
    const result = await run({ checksPath: file('passing3.yml', PASSING) });
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.resultMessage ?? '', /creating VM .* failed: .*AllocationFailed/);
    for (let i = 0; i < 50 && leftovers().length; i++) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(leftovers(), []);
  });

  it('a cancellation while the checks run deletes the VM and everything else', async () => {
    const result = await run(
      { checksPath: file('slow.yml', 'checks:\n  - name: slow\n    command: sleep 120\n') },
      { cancelOnOutput: /Smoke test: 60%/ },
    );
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.resultMessage ?? '', /cancelled/);
    for (let i = 0; i < 100 && leftovers().length; i++) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(leftovers(), []);
  });

  it('a gallery version whose definition supports Trusted Launch gets a Trusted Launch VM; keepVmOnFailure keeps a failed one and says what to delete', async () => {
    const version = await galleryVersion();
    const result = await run({
      imageId: version,
      checksPath: file('fail-tl.yml', FAILING),
      keepVmOnFailure: 'true',
    });
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(
      result.stdout,
      /Kept for debugging \(keepVmOnFailure\), delete it when done: virtual machine smoke-/,
    );
    assert.match(result.summaries[0].content, /Kept for debugging/);
    const vm = azure.audit().find((r) => r.type === 'Microsoft.Compute/virtualMachines');
    assert.ok(vm, 'the VM was kept');
    const kept = await client.virtualMachines.get(rg, vm.id.split('/').pop()!);
    assert.equal(kept.securityProfile?.securityType, 'TrustedLaunch');
    assert.equal(kept.securityProfile?.uefiSettings?.secureBootEnabled, true);
    assert.equal(kept.securityProfile?.uefiSettings?.vTpmEnabled, true);
    // What the log says to delete, deleted by hand: then nothing is left.
    await client.virtualMachines.delete(rg, kept.name!, { updateIntervalInMs: 50 });
    const network = new NetworkManagementClient(
      localContext(azure).credential,
      azure.subscriptionId,
      armClientOptions(localContext(azure)),
    );
    await network.virtualNetworks.delete(rg, `${kept.name}-vnet`, { updateIntervalInMs: 50 });
    await network.networkSecurityGroups.delete(rg, `${kept.name}-nsg`, { updateIntervalInMs: 50 });
    await new BlobServiceClient(
      azure.blob!.blobEndpoint(azure.blob!.accounts[0].name),
      new StorageSharedKeyCredential(azure.blob!.accounts[0].name, azure.blob!.accounts[0].key),
      azure.blob!.clientOptions,
    )
      .getContainerClient('smoke-output')
      .getBlobClient(`${kept.name}-stdout.log`)
      .deleteIfExists();
    assert.deepEqual(
      leftovers().filter((r) => !r.type.startsWith('Microsoft.Compute/galleries')),
      [],
    );
  });

  describe('bad input: a clear error naming the input, nothing made', () => {
    before(() => galleryVersion());
    const cases: [string, () => Record<string, string>, RegExp][] = [
      [
        'image version not replicated to the chosen region',
        () => ({ location: 'eastus', checksPath: file('ok7.yml', PASSING), imageId: galleryVersionId }),
        /location.*not replicated to eastus; it is in westeurope/,
      ],
      [
        'output container given with a SAS',
        () => ({
          checksPath: file('ok8.yml', PASSING),
          outputContainerUrl: `${azure.blob!.blobEndpoint(azure.blob!.accounts[0].name)}/smoke-output?sv=1&sig=x`,
        }),
        /outputContainerUrl.*without a SAS/,
      ],
      ['spec file missing', () => ({ checksPath: path.join(dir, 'nope.yml') }), /checksPath/],
      [
        'YAML syntax error',
        () => ({ checksPath: file('syntax.yml', 'checks:\n  - name: a\n    port: [22\n') }),
        /checksPath.*syntax\.yml:\d+: YAML syntax error/,
      ],
      [
        'unknown check type',
        () => ({ checksPath: file('unknown.yml', 'checks:\n  - name: a\n    registry: x\n') }),
        /checksPath.*unknown\.yml:2: unknown check type 'registry'/,
      ],
      [
        'check without a name',
        () => ({ checksPath: file('noname.yml', 'checks:\n  - port: 22\n') }),
        /checksPath.*the check has no name/,
      ],
      [
        'image id malformed',
        () => ({ imageId: 'not-an-id', checksPath: file('ok1.yml', PASSING) }),
        /imageId.*not a valid Azure resource id/,
      ],
      [
        'image id of the wrong type',
        () => ({
          imageId: good.replace('/images/good', '/disks/good'),
          checksPath: file('ok2.yml', PASSING),
        }),
        /imageId.*expected a managed image or a gallery image version/,
      ],
      [
        'image not in the chosen region',
        () => ({ location: 'eastus', checksPath: file('ok3.yml', PASSING) }),
        /location.*managed image is in westeurope/,
      ],
      [
        'VM size unknown',
        () => ({ vmSize: 'Standard_Nope1', checksPath: file('ok4.yml', PASSING) }),
        /vmSize.*'Standard_Nope1' is not a VM size available/,
      ],
      [
        'Gen2 image on a Gen1-only size',
        () => ({ vmSize: 'Standard_A2_v2', checksPath: file('ok5.yml', PASSING) }),
        /vmSize.*Standard_A2_v2 boots Hyper-V generation V1 only, and the image is V2/,
      ],
      [
        'Windows checks for a Linux image',
        () => ({ checksPath: file('win.yml', 'os: windows\nchecks:\n  - name: w\n    service: W32Time\n') }),
        /checksPath.*checks are for windows.*image is Linux/,
      ],
      [
        'timeout out of range',
        () => ({ timeout: '3h', checksPath: file('ok6.yml', PASSING) }),
        /timeout.*out of range/,
      ],
    ];
    for (const [what, inputs, message] of cases) {
      it(what, async () => {
        const before = azure.audit().length;
        const result = await run(inputs());
        assert.equal(result.result, 'Failed', describeRun(result));
        assert.match(result.resultMessage ?? '', message);
        assert.equal(azure.audit().length, before, 'nothing was made');
      });
    }
  });
});
