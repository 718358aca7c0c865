// BuildImage with Azure VM Image Builder, through the harness against the local Azure, whose Image Builder builds
// for real: the source's disk boots in QEMU, the customizers and the baseline run in it, the changed disk is
// distributed. The result is checked by booting it (SmokeTestImage); a failed build prints its real log; submit
// and collect are two task runs; a cancelled build is cancelled and removed; nothing is left behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { ImageBuilderClient } from '@azure/arm-imagebuilder';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { armClientOptions, computeClient } from '../../shared/azure/clients';
import { localContext, serviceConnectionEnv } from '../harness/connections';
import { describeRun, leakedSecrets, runTask } from '../harness/runTask';
import { requireTool } from '../harness/systemTools';
import { makeTestImage, WEB_SERVER_IMAGE } from '../harness/testImage';
import { uploadTestImage } from '../harness/uploadImage';
import { startLocalAzure, type LocalAzure } from '../local-azure/index';

const CONNECTION_ID = 'conn';
const rg = 'rg-build';
const lro = { updateIntervalInMs: 50 };

describe('BuildImage task with Image Builder (harness + local Azure, real builds in QEMU)', function () {
  this.timeout(300_000);
  let azure: LocalAzure;
  let dir: string;
  let client: ComputeManagementClient;
  let identityId = '';
  let definitionId = '';
  let baseImageId = '';
  let baseVersionId = '';
  let scripts: BlobServiceClient;
  const file = (name: string, content: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };
  const sub = () => azure.subscriptionId;
  const imageId = (name: string) =>
    `/subscriptions/${sub()}/resourceGroups/${rg}/providers/Microsoft.Compute/images/${name}`;

  before(async function () {
    requireTool(this, 'qemu-system-x86_64');
    requireTool(this, 'busybox');
    requireTool(this, 'linux-kernel');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'build-task-'));
    azure = await startLocalAzure({ blobOAuth: true });
    azure.resourceGroup(rg);
    const ctx = localContext(azure);
    client = computeClient(ctx);
    const options = armClientOptions(ctx);
    const msi = new ManagedServiceIdentityClient(ctx.credential, sub(), {
      ...options,
      credentialScopes: options.credentials.scopes,
    });
    identityId = (
      await msi.userAssignedIdentities.createOrUpdate(rg, 'image-builder', { location: 'westeurope' })
    ).id!;
    // The Marketplace: 1.0.0 is a bare image, 1.1.0 the web server image; `latest` must pick 1.1.0.
    const bare = makeTestImage(dir, 'bare', {});
    const web = makeTestImage(dir, 'web', WEB_SERVER_IMAGE);
    for (const [version, raw] of [
      ['1.0.0', bare.raw],
      ['1.1.0', web.raw],
    ])
      await azure.platformImages.add({
        publisher: 'LocalLinux',
        offer: 'web',
        sku: 'server',
        version,
        rawFile: raw,
      });
    await client.galleries.createOrUpdate(rg, 'build_gallery', { location: 'westeurope' }, lro);
    definitionId = (
      await client.galleryImages.createOrUpdate(
        rg,
        'build_gallery',
        'web',
        {
          location: 'westeurope',
          osType: 'Linux',
          osState: 'Generalized',
          hyperVGeneration: 'V2',
          identifier: { publisher: 'contoso', offer: 'web', sku: 'hardened' },
        },
        lro,
      )
    ).id!;
    const account = azure.blob!.accounts[0];
    scripts = new BlobServiceClient(
      azure.blob!.blobEndpoint(account.name),
      new StorageSharedKeyCredential(account.name, account.key),
      azure.blob!.clientOptions,
    );
    await scripts.getContainerClient('build-scripts').create();
    // Sources of other kinds, as earlier pipelines leave them: a managed image and a gallery version of it.
    baseImageId = await uploadTestImage(
      client,
      { subscriptionId: sub(), resourceGroup: rg, name: 'web-base' },
      web.vhd,
      azure.blob!.clientOptions,
    );
    await client.galleryImages.createOrUpdate(
      rg,
      'build_gallery',
      'web-base',
      {
        location: 'westeurope',
        osType: 'Linux',
        osState: 'Generalized',
        hyperVGeneration: 'V2',
        identifier: { publisher: 'contoso', offer: 'web', sku: 'base' },
      },
      lro,
    );
    baseVersionId = (
      await client.galleryImageVersions.createOrUpdate(
        rg,
        'build_gallery',
        'web-base',
        '1.0.0',
        {
          location: 'westeurope',
          publishingProfile: { targetRegions: [{ name: 'westeurope' }] },
          storageProfile: { source: { id: baseImageId } },
        },
        lro,
      )
    ).id!;
    await scripts.getContainerClient('smoke-output').create();
    await scripts.getContainerClient('vhds').create();
  });
  after(async () => {
    await azure?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (inputs: Record<string, string>, options: { cancelOnOutput?: RegExp } = {}) =>
    runTask('BuildImage', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        builder: 'ImageBuilder',
        resourceGroupName: rg,
        location: 'westeurope',
        sourceImage: 'LocalLinux:web:server:latest',
        identityId,
        vmSize: 'Standard_B2s',
        ...inputs,
      },
      env: {
        ...serviceConnectionEnv(azure, 'federated', CONNECTION_ID),
        VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.3',
      },
      timeoutMs: 200_000,
      ...options,
    });

  /** What the build left beyond the fixtures and what it was asked to make. */
  const leftovers = () =>
    azure
      .audit({ created: true })
      .filter(
        (r) =>
          !/^Microsoft\.(ManagedIdentity|Storage)\//.test(r.type) &&
          !r.type.startsWith('Microsoft.Compute/galleries') &&
          r.type !== 'Microsoft.Compute/images',
      )
      .map((r) => `${r.type} ${r.id}`);
  const stagedBlobs = async () => {
    const names: string[] = [];
    for await (const b of scripts.getContainerClient('build-scripts').listBlobsFlat()) names.push(b.name);
    return names;
  };

  it('builds from Marketplace `latest` with a staged script, a file and the baseline; the booted result shows all of it', async () => {
    const setup = file(
      'setup.sh',
      '#!/bin/sh\nset -e\nmkdir -p /etc/app\necho "built by local-build" > /etc/built-by\necho "setup: done"\n',
    );
    const motd = file('motd', 'Authorized use only. Hardened by BuildImage.\n');
    const result = await run({
      customizationScripts: `${setup}\nfile: ${motd} => /etc/motd`,
      baseline: 'true',
      stagingContainerUrl: `${azure.blob!.blobEndpoint(azure.blob!.accounts[0].name)}/build-scripts`,
      targetImageVersionId: definitionId,
      targetManagedImageId: imageId('web-hardened'),
      timeout: '20m',
    });
    assert.equal(result.result, 'Succeeded', describeRun(result));
    const version = `${definitionId}/versions/1.0.0`;
    assert.equal(result.variables.imageId.value.toLowerCase(), version.toLowerCase());
    assert.equal(result.variables.galleryImageVersionId.value.toLowerCase(), version.toLowerCase());
    assert.equal(result.variables.managedImageId.value.toLowerCase(), imageId('web-hardened').toLowerCase());
    assert.equal(result.variables.baselineVersion.value, 'linux-baseline-1');
    assert.match(result.variables.buildLogUrl.value, /\/packerlogs\/[0-9a-f-]+\/customization\.log$/);
    assert.match(result.variables.templateId.value, /\/imageTemplates\/build-/);
    assert.match(result.stdout, /setup: done|Image Builder: Customizing/);
    assert.ok(
      result.progress.some((p) => p.percent === 100),
      'progress reaches 100 %',
    );
    const summary = result.summaries[0].content;
    assert.match(summary, /## BuildImage: Succeeded/);
    assert.match(summary, /LocalLinux:web:server:latest/);
    assert.match(summary, /\| source version \| `1\.1\.0` \|/, 'latest was resolved to the newest version');
    assert.match(summary, /`setup\.sh`, `step-2`, `linux-baseline-1`/);
    // The staged scripts were read through a SAS: it never reaches the log, and the blobs are gone.
    assert.deepEqual(leakedSecrets(result, result.secrets), []);
    assert.ok(
      result.secrets.some((s) => s.includes('sig=') || /^[A-Za-z0-9%+/=]{20,}$/.test(s)),
      'SAS registered',
    );
    assert.deepEqual(await stagedBlobs(), []);
    assert.deepEqual(leftovers(), [], 'template and staging resource group are deleted');
    await client.images.get(rg, 'web-hardened');

    const smoke = await runTask('SmokeTestImage', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        imageId: result.variables.imageId.value,
        resourceGroupName: rg,
        vmSize: 'Standard_B2s',
        outputContainerUrl: `${azure.blob!.blobEndpoint(azure.blob!.accounts[0].name)}/smoke-output`,
        agentTimeout: '90s',
        checksPath: file(
          'built.yml',
          [
            'os: linux',
            'baseline: true',
            'checks:',
            '  - name: the customization script ran',
            '    file: /etc/built-by',
            '    contains: built by local-build',
            '  - name: the file was copied in',
            '    file: /etc/motd',
            '    contains: Hardened by BuildImage',
            '  - name: latest resolved to the web server image',
            '    package: nginx',
            '',
          ].join('\n'),
        ),
      },
      env: {
        ...serviceConnectionEnv(azure, 'federated', CONNECTION_ID),
        VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.3',
      },
      timeoutMs: 200_000,
    });
    assert.equal(smoke.result, 'Succeeded', describeRun(smoke));
    assert.equal(smoke.variables.passed.value, 'true');
  });

  it('a failing customizer fails the build with its real customization.log, and removes the template', async () => {
    const failing = file(
      'fail.sh',
      '#!/bin/sh\necho "installing widgets"\necho "widget-7 broke: disk quota" >&2\nexit 3\n',
    );
    const result = await run({ customizationScripts: failing, targetManagedImageId: imageId('never-made') });
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.resultMessage ?? '', /Image Builder build Failed/);
    assert.match(result.stdout, /widget-7 broke: disk quota/, 'the log tail is printed');
    assert.match(result.stdout, /non-zero exit status: 3/);
    assert.match(result.summaries[0].content, /Last lines of the build log[\s\S]*widget-7 broke/);
    assert.ok(result.variables.buildLogUrl?.value, 'the log URL is an output on failure too');
    assert.deepEqual(leftovers(), []);
    await assert.rejects(client.images.get(rg, 'never-made'), /not found|NotFound/i);
  });

  it('submit (from a managed image) returns once the build runs; collect in a later run waits for it and keeps the template when asked', async () => {
    const script = file('slow.sh', '#!/bin/sh\nsleep 2\necho submitted > /etc/submitted\n');
    const validator = file(
      'validate.sh',
      '#!/bin/sh\ngrep -q submitted /etc/submitted && echo "validated: submitted"\n',
    );
    const submit = await run({
      mode: 'submit',
      sourceImage: baseImageId,
      customizationScripts: script,
      validationScripts: validator,
      targetManagedImageId: imageId('from-submit'),
      targetVhdUrl: `${azure.blob!.blobEndpoint(azure.blob!.accounts[0].name)}/vhds/from-submit.vhd`,
      templateName: 'submitted-build',
    });
    assert.equal(submit.result, 'Succeeded', describeRun(submit));
    const templateId = submit.variables.templateId.value;
    assert.match(templateId, /imageTemplates\/submitted-build$/);
    assert.equal(submit.variables.imageId, undefined, 'submit does not wait for the image');
    assert.match(submit.summaries[0].content, /mode: collect/);
    assert.ok(
      azure.audit().some((r) => r.id.toLowerCase() === templateId.toLowerCase()),
      'the template outlives the submitting job',
    );
    const collect = await run({
      mode: 'collect',
      templateId,
      sourceImage: '',
      identityId: '',
      keepTemplate: 'true',
    });
    assert.equal(collect.result, 'Succeeded', describeRun(collect));
    // The validator ran after the customization, in the build VM: its line is in the build's real log.
    const log = scripts
      .getContainerClient('packerlogs')
      .getBlobClient(collect.variables.buildLogUrl.value.split('/packerlogs/')[1]);
    assert.match((await log.downloadToBuffer()).toString(), /validated: submitted/);
    assert.match(collect.summaries[0].content, new RegExp(`\\| source \\| \`${baseImageId}\``));
    // keepTemplate: the template (and its staging group) stay for a look; deleting it removes both.
    assert.ok(azure.audit().some((r) => r.id.toLowerCase() === templateId.toLowerCase()));
    await new ImageBuilderClient(
      localContext(azure).credential,
      sub(),
      armClientOptions(localContext(azure)),
    ).virtualMachineImageTemplates.delete(rg, 'submitted-build', lro);
    assert.equal(collect.variables.imageId.value.toLowerCase(), imageId('from-submit').toLowerCase());
    // The VHD went to the blob asked for (not the staging account, which goes with the template): a fixed VHD.
    assert.match(collect.variables.vhdUri.value, /\/vhds\/from-submit\.vhd$/);
    const vhd = scripts.getContainerClient('vhds').getPageBlobClient('from-submit.vhd');
    const { contentLength = 0 } = await vhd.getProperties();
    const footer = await vhd.downloadToBuffer(contentLength - 512, 512);
    assert.equal(footer.subarray(0, 8).toString('latin1'), 'conectix');
    assert.deepEqual(leftovers(), []);
  });

  it('cancelled while customizing (from a gallery version): the build is cancelled and the template deleted', async () => {
    const script = file('long.sh', '#!/bin/sh\necho long-step-started\nsleep 120\n');
    const result = await run(
      {
        sourceImage: baseVersionId,
        customizationScripts: script,
        targetManagedImageId: imageId('cancelled'),
      },
      { cancelOnOutput: /Image Builder: Customizing/ },
    );
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.resultMessage ?? '', /cancelled/);
    // Cleanup runs within the agent's budget; give the local service a moment to finish the delete it accepted.
    for (let i = 0; i < 50 && leftovers().length; i++) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(leftovers(), []);
  });

  describe('bad input: a clear error naming the input, nothing made', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['unknown builder', { builder: 'Chef' }, /Input 'builder'/],
      [
        'template file missing',
        { templatePath: '/nonexistent/template.json' },
        /Input 'templatePath'.*does not exist/,
      ],
      ['template not JSON', { templatePath: '@invalid' }, /Input 'templatePath'.*not valid JSON/],
      [
        'malformed source',
        { sourceImage: 'ubuntu-latest' },
        /Input 'sourceImage'.*publisher:offer:sku:version/,
      ],
      [
        'source not found',
        { sourceImage: '@missingImage', targetManagedImageId: '@target' },
        /Input 'sourceImage'.*does not exist/,
      ],
      [
        'Marketplace source not in the catalogue',
        { sourceImage: 'LocalLinux:web:server:9.9.9', targetManagedImageId: '@target' },
        /Input 'sourceImage'.*BadPIRSource|Input 'sourceImage'.*not found/,
      ],
      ['timeout too long', { timeout: '17h' }, /Input 'timeout'/],
      ['timeout too short', { timeout: '30s' }, /Input 'timeout'.*at least 1m/],
      [
        'no identity',
        { identityId: '', targetManagedImageId: '@target' },
        /Input 'identityId'.*user-assigned managed identity/,
      ],
      ['no distribution target', {}, /Input 'targetImageVersionId'.*no distribution target/],
      [
        'VHD target with a SAS',
        { targetVhdUrl: 'https://account.blob.core.windows.net/vhds/x.vhd?sv=2020-12-06&sig=abc' },
        /Input 'targetVhdUrl'.*must not carry a SAS/,
      ],
      [
        'customization script missing',
        { customizationScripts: '/nonexistent/setup.sh', targetManagedImageId: '@target' },
        /Input 'customizationScripts'.*does not exist/,
      ],
      [
        'Windows customizer on a Linux source',
        { customizationScripts: 'restart', targetManagedImageId: '@target' },
        /Input 'customizationScripts'.*Windows customization.*Linux/,
      ],
      [
        'gallery definition missing',
        { targetImageVersionId: '@missingDefinition' },
        /Input 'targetImageVersionId'.*does not exist/,
      ],
    ];
    for (const [name, inputs, message] of cases) {
      it(name, async () => {
        const resolved = Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [
            k,
            v === '@invalid'
              ? file('invalid.json', '{ "properties": ')
              : v === '@missingImage'
                ? imageId('no-such-image')
                : v === '@target'
                  ? imageId('bad-input-target')
                  : v === '@missingDefinition'
                    ? `${definitionId.replace(/\/web$/, '/no-such-definition')}`
                    : v,
          ]),
        );
        const before = azure.audit().length;
        const result = await run(resolved);
        assert.equal(result.result, 'Failed', describeRun(result));
        assert.match(result.resultMessage ?? '', message);
        assert.equal(azure.audit().length, before, 'nothing was made');
      });
    }
  });
});
