import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AnonymousCredential,
  BlobClient,
  ContainerClient,
  PageBlobClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { computeClient, storageClientOptions } from '../../shared/azure/clients';
import { buildFixedFooter } from '../../shared/vhd/footer';
import { localContext, serviceConnectionEnv } from '../harness/connections';
import { describeRun, leakedSecrets, runTask } from '../harness/runTask';
import { startLocalAzure, type LocalAzure } from '../local-azure/index';

const MIB = 1024 * 1024;
const CONNECTION_ID = 'conn';
const lro = { updateIntervalInMs: 20 };

describe('CopyImage task, managed image → managed image (bundle through the harness against local Azure)', function () {
  this.timeout(120_000);
  let azure: LocalAzure;
  let client: ComputeManagementClient;
  let sourceId: string;
  const osBytes = randomBytes(MIB);
  const dataBytes = randomBytes(MIB);

  async function uploadedDisk(name: string, content: Buffer, extra: object = {}): Promise<string> {
    await client.disks.createOrUpdate(
      'rg-src',
      name,
      {
        location: 'westeurope',
        creationData: { createOption: 'Upload', uploadSizeBytes: 64 * MIB + 512 },
        ...extra,
      },
      lro,
    );
    const access = await client.disks.grantAccess(
      'rg-src',
      name,
      { access: 'Write', durationInSeconds: 600 },
      lro,
    );
    await new PageBlobClient(access.accessSAS!, new AnonymousCredential()).uploadPages(content, 8 * MIB, MIB);
    await client.disks.revokeAccess('rg-src', name, lro);
    return `${azure.resourceGroup('rg-src')}/providers/Microsoft.Compute/disks/${name}`;
  }

  /** The bytes a VM would see on a disk made from the copy: the copy is verified by content, not by name. */
  async function bytesOfImage(imageId: string, lun?: number): Promise<Buffer> {
    const c = computeClient(localContext(azure), imageId.split('/')[2]);
    const rg = imageId.split('/')[4];
    const image = await c.images.get(rg, imageId.split('/').pop()!);
    const name = `check-${randomBytes(3).toString('hex')}`;
    await c.disks.createOrUpdate(
      rg,
      name,
      {
        location: image.location ?? 'westeurope',
        creationData: { createOption: 'FromImage', imageReference: { id: imageId, lun } },
      },
      lro,
    );
    const access = await c.disks.grantAccess(rg, name, { access: 'Read', durationInSeconds: 600 }, lro);
    const bytes = await new PageBlobClient(access.accessSAS!, new AnonymousCredential()).downloadToBuffer(
      8 * MIB,
      MIB,
    );
    await c.disks.revokeAccess(rg, name, lro);
    await c.disks.delete(rg, name, lro);
    return bytes;
  }

  /** Everything the task made beyond the source image: only copies may remain. */
  const leftovers = () =>
    azure
      .audit({ created: true })
      .filter((r) => r.type !== 'Microsoft.Compute/images' && !r.id.endsWith('/snapshots/tl-snap'));

  before(async () => {
    azure = await startLocalAzure({ crossRegionCopyMs: 300, blobFront: true });
    azure.resourceGroup('rg-src');
    azure.resourceGroup('rg-copies');
    azure.resourceGroup('rg-copies', 'westeurope', azure.secondSubscriptionId);
    client = computeClient(localContext(azure));
    const os = await uploadedDisk('src-os', osBytes, { osType: 'Linux', hyperVGeneration: 'V2' });
    const data = await uploadedDisk('src-data', dataBytes);
    const image = await client.images.createOrUpdate(
      'rg-src',
      'golden',
      {
        location: 'westeurope',
        hyperVGeneration: 'V2',
        tags: { team: 'images', build: '42' },
        storageProfile: {
          osDisk: { osType: 'Linux', osState: 'Generalized', managedDisk: { id: os } },
          dataDisks: [{ lun: 2, managedDisk: { id: data } }],
        },
      },
      lro,
    );
    sourceId = image.id!;
    await client.images.createOrUpdate(
      'rg-copies',
      'taken',
      {
        location: 'westeurope',
        hyperVGeneration: 'V2',
        storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized', managedDisk: { id: os } } },
      },
      lro,
    );
    const tl = await uploadedDisk('tl-os', osBytes, {
      osType: 'Linux',
      hyperVGeneration: 'V2',
      securityProfile: { securityType: 'TrustedLaunch' },
    });
    await client.snapshots.createOrUpdate(
      'rg-src',
      'tl-snap',
      { location: 'westeurope', creationData: { createOption: 'Copy', sourceResourceId: tl } },
      lro,
    );
    await client.disks.delete('rg-src', 'tl-os', lro);
    // Packer deletes the build VM's disks: the image alone must be enough.
    await client.disks.delete('rg-src', 'src-os', lro);
    await client.disks.delete('rg-src', 'src-data', lro);
  });
  after(() => azure?.stop());

  const inputs = (overrides: Record<string, string> = {}) => ({
    ConnectedServiceName: CONNECTION_ID,
    copyType: 'image',
    sourceImageId: sourceId,
    targetResourceGroupName: 'rg-copies',
    ...overrides,
  });
  const env = () => ({
    ...serviceConnectionEnv(azure, 'federated', CONNECTION_ID),
    VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.02',
  });
  const run = (overrides: Record<string, string> = {}, extra = {}) =>
    runTask('CopyImage', { inputs: inputs(overrides), env: env(), ...extra });

  it('copies to another resource group with its data disk, LUN, generation, OS state and tags, sends no image bytes through the agent and leaves no temporaries', async () => {
    const before = { ...azure.blobFront!.traffic };
    const result = await run({ targetImageName: 'golden-copy' });
    assert.equal(result.result, 'Succeeded', describeRun(result));
    assert.deepEqual(azure.blobFront!.traffic, before, 'not one blob request came from the task');
    const id = result.variables.imageId.value;
    assert.match(id, /\/resourceGroups\/rg-copies\/providers\/Microsoft\.Compute\/images\/golden-copy$/);
    const copy = await client.images.get('rg-copies', 'golden-copy');
    assert.equal(copy.hyperVGeneration, 'V2');
    assert.equal(copy.storageProfile?.osDisk?.osState, 'Generalized');
    assert.deepEqual(
      copy.storageProfile?.dataDisks?.map((d) => d.lun),
      [2],
    );
    assert.equal(copy.tags?.team, 'images');
    assert.equal(copy.tags?.copiedFrom, sourceId);
    assert.deepEqual(leftovers(), [], 'temporary disks are gone');
    assert.ok((await bytesOfImage(id)).equals(osBytes), 'the OS disk holds the source bytes');
    assert.ok((await bytesOfImage(id, 2)).equals(dataBytes), 'LUN 2 holds the source data disk');
    assert.equal(result.progress[result.progress.length - 1]?.percent, 100);
    assert.match(
      result.summaries[0].content,
      /\| `rg-copies\/golden-copy` westeurope.*\| copied \|.*data disk LUN 2/,
    );
  });

  it('a re-run finds the finished copy and copies nothing again', async () => {
    const count = azure.audit().length;
    const writesBefore = azure.requests.filter(
      (r) => r.method !== 'GET' && r.path.includes('/rg-copies/'),
    ).length;
    const again = await run({ targetImageName: 'golden-copy' });
    assert.equal(again.result, 'Succeeded', describeRun(again));
    assert.equal(azure.audit().length, count);
    assert.match(again.summaries[0].content, /unchanged \| nothing \(copied earlier\)/);
    const writes = azure.requests.filter((r) => r.method !== 'GET' && r.path.includes('/rg-copies/'));
    assert.deepEqual(writes.slice(writesBefore), [], 'a re-run writes nothing');
  });

  it('reuses a temporary disk a killed run left behind, and removes it at the end', async () => {
    // What a run killed after its first step leaves: the OS disk made from the image, tagged with its source.
    await client.disks.createOrUpdate(
      'rg-copies',
      'golden-again-copy-os-disk',
      {
        location: 'westeurope',
        creationData: { createOption: 'FromImage', imageReference: { id: sourceId } },
        tags: { copiedFrom: sourceId },
      },
      lro,
    );
    const result = await run({ targetImageName: 'golden-again' });
    assert.equal(result.result, 'Succeeded', describeRun(result));
    assert.match(result.stdout, /Reusing the disk 'golden-again-copy-os-disk' left by an earlier run/);
    assert.deepEqual(leftovers(), []);
    assert.ok((await bytesOfImage(result.variables.imageId.value)).equals(osBytes));
  });

  it('with overwrite replaces an image that was made from something else', async () => {
    const other = await uploadedDisk('other-os', dataBytes, { osType: 'Linux', hyperVGeneration: 'V2' });
    await client.images.createOrUpdate(
      'rg-copies',
      'replace-me',
      {
        location: 'westeurope',
        hyperVGeneration: 'V2',
        storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized', managedDisk: { id: other } } },
      },
      lro,
    );
    await client.disks.delete('rg-src', 'other-os', lro);
    const result = await run({ targetImageName: 'replace-me', overwrite: 'true' });
    assert.equal(result.result, 'Succeeded', describeRun(result));
    assert.match(result.summaries[0].content, /\| replaced \|/);
    assert.equal((await client.images.get('rg-copies', 'replace-me')).tags?.copiedFrom, sourceId);
    assert.ok((await bytesOfImage(result.variables.imageId.value, 2)).equals(dataBytes));
  });

  it('copies to two regions of another subscription in parallel through CopyStart snapshots, with progress', async () => {
    const result = await run({
      targetSubscriptionId: azure.secondSubscriptionId,
      targetLocation: 'eastus, North Europe',
    });
    assert.equal(result.result, 'Succeeded', describeRun(result));
    const ids = result.variables.imageIds.value.split(',');
    assert.equal(ids.length, 2);
    for (const [id, region] of [
      [ids[0], 'eastus'],
      [ids[1], 'northeurope'],
    ]) {
      assert.ok(id.startsWith(`/subscriptions/${azure.secondSubscriptionId}/resourceGroups/rg-copies/`), id);
      assert.ok(id.endsWith(`/images/golden-${region}`), id);
      const copy = await computeClient(localContext(azure), azure.secondSubscriptionId).images.get(
        'rg-copies',
        `golden-${region}`,
      );
      assert.equal(copy.location, region);
      assert.equal(copy.hyperVGeneration, 'V2');
    }
    assert.ok((await bytesOfImage(ids[0], 2)).equals(dataBytes), 'the data disk crossed regions intact');
    // CopyStart progress was reported while the copies ran.
    assert.ok(
      result.progress.some((p) => p.percent > 0 && p.percent < 100),
      describeRun(result),
    );
    assert.match(result.summaries[0].content, /incremental snapshot copied westeurope → eastus/);
    assert.deepEqual(leftovers(), []);
  });

  it('a failure injected mid-copy fails the task and leaves nothing behind', async () => {
    azure.faults.add({
      kind: 'failOperation',
      method: 'PUT',
      path: /\/snapshots\/golden-broken-copy-lun2-eastus$/,
      error: { code: 'InternalExecutionError', message: 'An internal execution error occurred.' },
    });
    const result = await run({ targetImageName: 'golden-broken', targetLocation: 'eastus' });
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.resultMessage ?? '', /every target failed/);
    assert.match(result.stdout, /InternalExecutionError/);
    assert.deepEqual(leftovers(), []);
    await assert.rejects(client.images.get('rg-copies', 'golden-broken'), /not found|NotFound/i);
  });

  it('one failing target does not hide the other: the task ends with issues and the summary lists both', async () => {
    azure.faults.add({
      kind: 'failOperation',
      method: 'PUT',
      path: /\/images\/golden-half-northeurope$/,
      error: { code: 'InternalExecutionError', message: 'An internal execution error occurred.' },
    });
    const result = await run({ targetImageName: 'golden-half', targetLocation: 'eastus,northeurope' });
    assert.equal(result.result, 'SucceededWithIssues', describeRun(result));
    assert.match(result.summaries[0].content, /golden-half-eastus.*\| copied \|/);
    assert.match(result.summaries[0].content, /golden-half-northeurope.*\*\*failed\*\*/);
    assert.equal(result.variables.imageIds.value.split(',').length, 1);
    assert.deepEqual(leftovers(), []);
  });

  it('a cancellation during the cross-region copy leaves nothing behind', async () => {
    azure.faults.add({
      kind: 'slow',
      method: 'GET',
      path: /\/snapshots\/golden-cancel-copy-os-eastus$/,
      delayMs: 400,
      count: 50,
    });
    const result = await run(
      { targetImageName: 'golden-cancel', targetLocation: 'eastus' },
      { cancelOnOutput: /Copying image: \d+%/ },
    );
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.resultMessage ?? '', /cancelled/);
    assert.match(
      result.stdout,
      /Cleaned up temporary snapshot golden-cancel-copy-os-snap/,
      'cancelled mid-copy',
    );
    azure.faults.clear();
    // Deletes accepted on cancellation finish in the local Azure's own time.
    for (let i = 0; i < 50 && leftovers().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(leftovers(), []);
    await assert.rejects(client.images.get('rg-copies', 'golden-cancel'), /not found|NotFound/i);
  });

  describe('bad input: a clear error naming the input, nothing made', () => {
    const cases: [string, () => Record<string, string>, RegExp][] = [
      [
        'source missing',
        () => ({ sourceImageId: sourceId.replace('golden', 'nothing-here') }),
        /sourceImageId.*does not exist/,
      ],
      [
        'source of a type that cannot be copied as an image',
        () => ({ sourceImageId: sourceId.replace('/images/golden', '/disks/golden') }),
        /sourceImageId.*expected a managed image or a snapshot/,
      ],
      [
        'target resource group missing',
        () => ({ targetResourceGroupName: 'rg-nowhere' }),
        /targetResourceGroupName.*rg-nowhere.*does not exist/,
      ],
      [
        'source equals target',
        () => ({ targetResourceGroupName: 'rg-src' }),
        /targetImageName.*is the source itself/,
      ],
      [
        'unknown region',
        () => ({ targetLocation: 'westeuorpe' }),
        /targetLocation.*not an Azure region.*westeurope/,
      ],
      [
        'target exists (made from something else) without overwrite',
        () => ({ targetImageName: 'taken' }),
        /targetImageName.*'taken' already exists.*set overwrite/,
      ],
      [
        'a Trusted Launch snapshot into a managed image',
        () => ({
          sourceImageId: `${azure.resourceGroup('rg-src')}/providers/Microsoft.Compute/snapshots/tl-snap`,
        }),
        /sourceImageId.*security type TrustedLaunch.*galleryVersion/,
      ],
      [
        'malformed subscription',
        () => ({ targetSubscriptionId: 'not-a-guid' }),
        /targetSubscriptionId.*not a subscription id/,
      ],
      ['too many at once', () => ({ maxParallelTargets: '40' }), /maxParallelTargets/],
    ];
    for (const [what, overrides, message] of cases) {
      it(what, async () => {
        const count = azure.audit().length;
        const result = await run(overrides());
        assert.equal(result.result, 'Failed', describeRun(result));
        assert.match(result.resultMessage ?? '', message);
        assert.equal(azure.audit().length, count, 'nothing was made');
      });
    }
  });
});

describe('CopyImage task, gallery image version → another gallery (harness + local Azure)', function () {
  this.timeout(120_000);
  const versionBytes = randomBytes(MIB);
  let azure: LocalAzure;
  let client: ComputeManagementClient;
  let sourceVersion: string;
  const definition = {
    location: 'westeurope',
    osType: 'Linux' as const,
    osState: 'Generalized' as const,
    hyperVGeneration: 'V2' as const,
    identifier: { publisher: 'contoso', offer: 'base', sku: 'ubuntu-24' },
    features: [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }],
  };

  before(async () => {
    azure = await startLocalAzure();
    azure.resourceGroup('rg-src');
    azure.resourceGroup('rg-shared', 'westeurope', azure.secondSubscriptionId);
    azure.resourceGroup('rg-partner', 'westeurope', azure.foreignSubscriptionId);
    client = computeClient(localContext(azure));
    await client.galleries.createOrUpdate('rg-src', 'src_gallery', { location: 'westeurope' }, lro);
    await client.galleryImages.createOrUpdate('rg-src', 'src_gallery', 'base', definition, lro);
    await client.disks.createOrUpdate(
      'rg-src',
      'os',
      {
        location: 'westeurope',
        osType: 'Linux',
        hyperVGeneration: 'V2',
        creationData: { createOption: 'Upload', uploadSizeBytes: 32 * MIB + 512 },
      },
      lro,
    );
    const access = await client.disks.grantAccess(
      'rg-src',
      'os',
      { access: 'Write', durationInSeconds: 600 },
      lro,
    );
    await new PageBlobClient(access.accessSAS!, new AnonymousCredential()).uploadPages(
      versionBytes,
      4 * MIB,
      MIB,
    );
    await client.disks.revokeAccess('rg-src', 'os', lro);
    const version = await client.galleryImageVersions.createOrUpdate(
      'rg-src',
      'src_gallery',
      'base',
      '1.4.0',
      {
        location: 'westeurope',
        publishingProfile: { targetRegions: [{ name: 'westeurope' }, { name: 'northeurope' }] },
        storageProfile: {
          osDiskImage: {
            source: { id: `${azure.resourceGroup('rg-src')}/providers/Microsoft.Compute/disks/os` },
          },
        },
      },
      lro,
    );
    sourceVersion = version.id!;
    // A gallery of the consumers in a region the source has no replica in.
    await computeClient(localContext(azure), azure.secondSubscriptionId).galleries.createOrUpdate(
      'rg-shared',
      'east_gallery',
      { location: 'eastus' },
      lro,
    );
  });
  after(() => azure?.stop());

  const env = (extra: Record<string, string> = {}) => ({
    ...serviceConnectionEnv(azure, 'federated', CONNECTION_ID),
    VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.02',
    ...extra,
  });
  const run = (overrides: Record<string, string> = {}, extraEnv: Record<string, string> = {}) =>
    runTask('CopyImage', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        copyType: 'galleryVersion',
        sourceImageId: sourceVersion,
        targetSubscriptionId: azure.secondSubscriptionId,
        targetResourceGroupName: 'rg-shared',
        targetGalleryName: 'shared_gallery',
        ...overrides,
      },
      env: env(extraEnv),
    });

  it('publishes the version into a new gallery of another subscription, the definition made like the source’s, replicated where asked; a re-run changes nothing', async () => {
    const result = await run({ targetLocation: 'westeurope, northeurope' });
    assert.equal(result.result, 'Succeeded', describeRun(result));
    const target = computeClient(localContext(azure), azure.secondSubscriptionId);
    const def = await target.galleryImages.get('rg-shared', 'shared_gallery', 'base');
    assert.equal(def.osType, 'Linux');
    assert.equal(def.hyperVGeneration, 'V2');
    assert.deepEqual(def.identifier, definition.identifier);
    assert.equal(def.features?.find((f) => f.name === 'SecurityType')?.value, 'TrustedLaunchSupported');
    const version = await target.galleryImageVersions.get('rg-shared', 'shared_gallery', 'base', '1.4.0');
    assert.equal(version.storageProfile?.source?.id, sourceVersion);
    assert.deepEqual(version.publishingProfile?.targetRegions?.map((r) => r.name).sort(), [
      'northeurope',
      'westeurope',
    ]);
    assert.equal(result.variables.imageId.value, version.id);
    // A disk made from the copy holds the source's bytes.
    await target.disks.createOrUpdate(
      'rg-shared',
      'from-copy',
      {
        location: 'westeurope',
        creationData: { createOption: 'FromImage', galleryImageReference: { id: version.id } },
      },
      lro,
    );
    const read = await target.disks.grantAccess(
      'rg-shared',
      'from-copy',
      { access: 'Read', durationInSeconds: 600 },
      lro,
    );
    const copied = await new PageBlobClient(read.accessSAS!, new AnonymousCredential()).downloadToBuffer(
      4 * MIB,
      MIB,
    );
    await target.disks.revokeAccess('rg-shared', 'from-copy', lro);
    await target.disks.delete('rg-shared', 'from-copy', lro);
    assert.ok(copied.equals(versionBytes), 'the copied version holds the source bytes');
    assert.match(result.summaries[0].content, /shared_gallery\/base\/1\.4\.0.*\| copied \|/);

    const writes = () =>
      azure.requests.filter((r) => r.method !== 'GET' && r.path.includes('/rg-shared/')).length;
    const before = writes();
    const again = await run({ targetLocation: 'westeurope, northeurope' });
    assert.equal(again.result, 'Succeeded', describeRun(again));
    assert.equal(writes(), before, 'a re-run writes nothing');
    assert.match(again.summaries[0].content, /\| unchanged \|/);
  });

  it('a region failing to replicate fails the task and deletes the version it made (the gallery stays for a re-run)', async () => {
    azure.replication.failingRegions.set('northeurope', 'Replication failed: InternalError (injected).');
    const result = await run({ targetLocation: 'westeurope, northeurope', targetVersion: '1.4.1' });
    azure.replication.failingRegions.clear();
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.stdout, /northeurope.*InternalError \(injected\)/);
    const versions = azure.audit().filter((r) => /\/versions\/1\.4\.1$/.test(r.id));
    assert.deepEqual(versions, [], 'the half-replicated version is gone');
  });

  it('a cancellation while the copy replicates deletes the version it made', async () => {
    azure.replication.regionMs = 3_000;
    const result = await runTask('CopyImage', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        copyType: 'galleryVersion',
        sourceImageId: sourceVersion,
        targetSubscriptionId: azure.secondSubscriptionId,
        targetResourceGroupName: 'rg-shared',
        targetGalleryName: 'shared_gallery',
        targetVersion: '1.4.2',
      },
      env: env(),
      cancelOnOutput: /Version 1\.4\.2 accepted by Azure/,
    });
    azure.replication.regionMs = 60;
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.resultMessage ?? '', /cancelled/);
    for (let i = 0; i < 50 && azure.audit().some((r) => /\/versions\/1\.4\.2$/.test(r.id)); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      azure.audit().filter((r) => /\/versions\/1\.4\.2$/.test(r.id)),
      [],
    );
  });

  it('copies into another tenant with the target tenant’s connection and the auxiliary token', async () => {
    const result = await run(
      {
        targetConnectedServiceName: 'partner',
        targetSubscriptionId: '',
        targetResourceGroupName: 'rg-partner',
        targetGalleryName: 'partner_gallery',
        targetImageDefinition: 'contoso-base',
        targetVersion: '2.0.0',
      },
      serviceConnectionEnv(azure, 'federated', 'partner', 'second'),
    );
    assert.equal(result.result, 'Succeeded', describeRun(result));
    assert.ok(result.variables.imageId.value.startsWith(`/subscriptions/${azure.foreignSubscriptionId}/`));
    assert.match(result.variables.imageId.value, /partner_gallery\/images\/contoso-base\/versions\/2\.0\.0$/);
    assert.match(result.summaries[0].content, /another tenant/);
  });

  describe('bad input: a clear error naming the input, nothing made', () => {
    const cases: [string, () => Record<string, string>, RegExp][] = [
      [
        'target gallery in a region the source has no replica in',
        () => ({ targetGalleryName: 'east_gallery' }),
        /targetGalleryName.*replicas in westeurope, northeurope.*in eastus.*Add eastus to the source version's target regions/,
      ],
      [
        'new gallery in a region the source has no replica in',
        () => ({ targetGalleryName: 'new_gallery', targetLocation: 'eastus' }),
        /targetLocation.*would be in eastus/,
      ],
      [
        'source version missing',
        () => ({ sourceImageId: sourceVersion.replace('1.4.0', '9.9.9') }),
        /sourceImageId.*does not exist/,
      ],
      [
        'a managed image id for a gallery copy',
        () => ({ sourceImageId: `${azure.resourceGroup('rg-src')}/providers/Microsoft.Compute/images/x` }),
        /sourceImageId.*expected a gallery image version/,
      ],
      [
        'target tenant not given: the partner subscription refuses the home token',
        () => ({ targetSubscriptionId: azure.foreignSubscriptionId, targetResourceGroupName: 'rg-partner' }),
        /targetConnectedServiceName.*belongs to another tenant/,
      ],
      ['malformed target version', () => ({ targetVersion: '1.2' }), /targetVersion/],
      [
        'source equals target',
        () => ({
          targetSubscriptionId: '',
          targetResourceGroupName: 'rg-src',
          targetGalleryName: 'src_gallery',
        }),
        /targetGalleryName.*is the source version itself/,
      ],
    ];
    for (const [what, overrides, message] of cases) {
      it(what, async () => {
        const count = azure.audit().length;
        const result = await run(overrides());
        assert.equal(result.result, 'Failed', describeRun(result));
        assert.match(result.resultMessage ?? '', message);
        assert.equal(azure.audit().length, count, 'nothing was made');
      });
    }
  });
});

describe('CopyImage task, VHD blob → VHD blob (harness + local Azure, Azurite over HTTPS with Entra ID)', function () {
  this.timeout(120_000);
  let azure: LocalAzure;
  let sourceUrl: string;
  let content: Buffer;
  const SIZE = 32 * MIB;
  const account = (i: number) => azure.blob!.accounts[i];
  /** A URL of the account through the counting front, as a pipeline would write it (no SAS). */
  const urlOf = (i: number, path: string) =>
    azure.blobFront!.url(`${azure.blob!.blobEndpoint(account(i).name)}/${path}`);
  const keyClient = (i: number, path: string) =>
    new BlobClient(
      `${azure.blob!.blobEndpoint(account(i).name)}/${path}`,
      new StorageSharedKeyCredential(account(i).name, account(i).key),
      storageClientOptions(localContext(azure)),
    );

  before(async () => {
    azure = await startLocalAzure({ blobOAuth: true, blobFront: true });
    for (const i of [0, 1]) {
      await new ContainerClient(
        `${azure.blob!.blobEndpoint(account(i).name)}/vhds`,
        new StorageSharedKeyCredential(account(i).name, account(i).key),
        storageClientOptions(localContext(azure)),
      ).create();
    }
    content = Buffer.concat([Buffer.alloc(4 * MIB), randomBytes(MIB), Buffer.alloc(SIZE - 5 * MIB)]);
    const page = keyClient(0, 'vhds/golden.vhd').getPageBlobClient();
    await page.create(SIZE + 512);
    await page.uploadPages(content.subarray(4 * MIB, 5 * MIB), 4 * MIB, MIB);
    await page.uploadPages(buildFixedFooter(SIZE), SIZE, 512);
    const { createHash } = await import('node:crypto');
    const md5 = createHash('md5').update(content).update(buildFixedFooter(SIZE)).digest();
    await page.setHTTPHeaders({ blobContentMD5: md5 });
    sourceUrl = urlOf(0, 'vhds/golden.vhd');
    await keyClient(0, 'vhds/notes.txt').getBlockBlobClient().upload('not a disk', 10);
    await keyClient(1, 'vhds/taken.vhd').getBlockBlobClient().upload('someone else', 12);
  });
  after(() => azure?.stop());

  const run = (overrides: Record<string, string> = {}) =>
    runTask('CopyImage', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        copyType: 'vhdBlob',
        sourceBlobUrl: sourceUrl,
        targetBlobUrl: urlOf(1, 'vhds/golden-copy.vhd'),
        ...overrides,
      },
      env: {
        ...serviceConnectionEnv(azure, 'federated', CONNECTION_ID),
        VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.02',
      },
    });

  it('copies with a user delegation SAS, server-side: the copy is byte for byte the source, Content-MD5 kept, the SAS never printed; a re-run copies nothing', async () => {
    const seen = azure.blobFront!.exchanges.length;
    const result = await run();
    assert.equal(result.result, 'Succeeded', describeRun(result));
    // Requests with the task's user agent: Azurite's own check of the copy source (which reads it) is not the task.
    const byTask = azure
      .blobFront!.exchanges.slice(seen)
      .filter((e) => e.userAgent.includes('VMImageLifecycle-CopyImage'));
    assert.ok(byTask.length > 0, 'the front saw the task');
    const moved = byTask.reduce((sum, e) => sum + e.bytesUp + e.bytesDown, 0);
    assert.ok(
      moved <= 4096,
      `the task moved ${moved} bytes of a ${SIZE / MIB} MiB VHD (its 512-byte footer is read)`,
    );
    assert.equal(result.variables.vhdUrl.value, urlOf(1, 'vhds/golden-copy.vhd'));
    const copy = keyClient(1, 'vhds/golden-copy.vhd');
    const props = await copy.getProperties();
    assert.equal(props.blobType, 'PageBlob');
    assert.equal(props.contentLength, SIZE + 512);
    assert.ok((await copy.downloadToBuffer(0, SIZE)).equals(content), 'same bytes');
    const sas = result.secrets.find((s) => s.includes('sig='));
    assert.ok(sas, 'the read SAS was registered as a secret');
    const signature = new URL(sas).searchParams.get('sig')!;
    assert.ok(sas.includes('skoid='), 'a user delegation SAS');
    assert.deepEqual(
      result.stdout
        .split('\n')
        .filter((l) => l.includes(signature) && !l.startsWith('##vso[task.setsecret]')),
      [],
    );
    assert.match(result.summaries[0].content, /userDelegation SAS, expires/);
    assert.match(result.summaries[0].content, /Content-MD5/);

    const again = await run();
    assert.equal(again.result, 'Succeeded', describeRun(again));
    assert.match(again.summaries[0].content, /unchanged \(copied earlier\)/);
  });

  it('with sasType accountKey reads both keys through ARM, masks them, and revokes its SAS at the end', async () => {
    const result = await run({
      sasType: 'accountKey',
      targetBlobUrl: urlOf(1, 'vhds/golden-keyed.vhd'),
      targetSubscriptionId: azure.secondSubscriptionId,
    });
    assert.equal(result.result, 'Succeeded', describeRun(result));
    for (const i of [0, 1]) {
      assert.ok(result.secrets.includes(account(i).key), `the key of ${account(i).name} is a secret`);
      assert.equal(leakedSecrets(result, [account(i).key]).length, 0);
    }
    const copy = keyClient(1, 'vhds/golden-keyed.vhd');
    assert.ok((await copy.downloadToBuffer(0, SIZE)).equals(content), 'same bytes');
    // The SAS hung on a stored access policy of its own, which is gone: the SAS no longer reads.
    const sas = result.secrets.find((s) => s.includes('si=vm-image-lifecycle-') && s.startsWith('https://'));
    assert.ok(sas, describeRun(result));
    const policies = await new ContainerClient(
      `${azure.blob!.blobEndpoint(account(0).name)}/vhds`,
      new StorageSharedKeyCredential(account(0).name, account(0).key),
      storageClientOptions(localContext(azure)),
    ).getAccessPolicy();
    assert.deepEqual(
      policies.signedIdentifiers.map((p) => p.id),
      [],
    );
    const after = await new BlobClient(
      sas,
      new AnonymousCredential(),
      storageClientOptions(localContext(azure)),
    )
      .getProperties()
      .catch((e: unknown) => e as { statusCode?: number });
    assert.equal((after as { statusCode?: number }).statusCode, 403, 'the SAS is revoked');
    assert.match(result.summaries[0].content, /accountKey SAS, revoked at the end/);
  });

  it('a copy the storage service fails leaves no blob and no grant behind', async () => {
    azure.blobFront!.add({ method: 'PUT', match: /golden-fail\.vhd/, fault: 'serverError', count: 10 });
    const result = await run({
      sasType: 'accountKey',
      targetBlobUrl: urlOf(1, 'vhds/golden-fail.vhd'),
      targetSubscriptionId: azure.secondSubscriptionId,
    });
    assert.equal(result.result, 'Failed', describeRun(result));
    assert.match(result.resultMessage ?? '', /starting the copy .* failed/);
    assert.equal(await keyClient(1, 'vhds/golden-fail.vhd').exists(), false);
    const policies = await new ContainerClient(
      `${azure.blob!.blobEndpoint(account(0).name)}/vhds`,
      new StorageSharedKeyCredential(account(0).name, account(0).key),
      storageClientOptions(localContext(azure)),
    ).getAccessPolicy();
    assert.deepEqual(
      policies.signedIdentifiers.map((p) => p.id),
      [],
      'the stored access policy of the grant is gone',
    );
  });

  describe('bad input: a clear error naming the input, no blob made', () => {
    const cases: [string, () => Record<string, string>, RegExp][] = [
      [
        'an account key of an account outside the connection’s subscriptions',
        () => ({ sasType: 'accountKey' }),
        /targetBlobUrl.*storage account 'imagestore2' is not in subscription/,
      ],
      [
        'a block blob where a page blob is needed',
        () => ({ sourceBlobUrl: urlOf(0, 'vhds/notes.txt') }),
        /sourceBlobUrl.*BlockBlob/,
      ],
      [
        'source missing',
        () => ({ sourceBlobUrl: urlOf(0, 'vhds/nothing.vhd') }),
        /sourceBlobUrl.*does not exist/,
      ],
      [
        'target exists without overwrite',
        () => ({ targetBlobUrl: urlOf(1, 'vhds/taken.vhd') }),
        /targetBlobUrl.*already exists.*overwrite/,
      ],
      [
        'target container missing',
        () => ({ targetBlobUrl: urlOf(1, 'nowhere/x.vhd') }),
        /targetBlobUrl.*container 'nowhere' does not exist/,
      ],
      ['SAS lifetime too short', () => ({ sasDuration: '1m' }), /sasDuration.*too short/],
      ['SAS lifetime too long', () => ({ sasDuration: '30d' }), /sasDuration.*too long/],
      [
        'a URL carrying its own SAS',
        () => ({ sourceBlobUrl: `${sourceUrl}?sv=2024&sig=abc` }),
        /sourceBlobUrl.*without a SAS/,
      ],
      ['source equals target', () => ({ targetBlobUrl: sourceUrl }), /targetBlobUrl.*source blob itself/],
    ];
    for (const [what, overrides, message] of cases) {
      it(what, async () => {
        const result = await run({ targetBlobUrl: urlOf(1, 'vhds/never.vhd'), ...overrides() });
        assert.equal(result.result, 'Failed', describeRun(result));
        assert.match(result.resultMessage ?? '', message);
        assert.equal(await keyClient(1, 'vhds/never.vhd').exists(), false);
      });
    }
  });
});
