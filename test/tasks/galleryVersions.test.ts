import assert from 'node:assert/strict';
import { startLocalAzure, type LocalAzure } from '../local-azure/index';
import type { StoredResource } from '../local-azure/arm/store';
import { describeRun, leakedSecrets, runTask, type TaskRun } from '../harness/runTask';
import { serviceConnectionEnv } from '../harness/connections';

const CONNECTION_ID = 'conn';
const RG = 'rg-gallery';

describe('ShareToGallery image versions: publish, wait, resolve, promote, retain, share (harness + local Azure)', function () {
  this.timeout(180_000);
  let azure: LocalAzure;
  let compute: string;

  before(async () => {
    azure = await startLocalAzure({ replicationRegionMs: 150 });
    azure.resourceGroup(RG);
    compute = `/subscriptions/${azure.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute`;
    // Sources as a build would leave them (the local Azure runs no VMs or builders, so they are fixtures).
    const disk = (name: string, osType: string, generation: string) =>
      fixture('disks', name, {
        osType,
        hyperVGeneration: generation,
        diskSizeGB: 30,
        diskState: 'Unattached',
        // What every disk has in Azure (the spec requires it); the source does not matter to these tests.
        creationData: { createOption: 'Empty' },
      });
    disk('os-linux-v2', 'Linux', 'V2');
    disk('os-windows-v2', 'Windows', 'V2');
    disk('os-linux-v1', 'Linux', 'V1');
    fixture('snapshots', 'snap-linux-v2', {
      osType: 'Linux',
      hyperVGeneration: 'V2',
      diskSizeGB: 30,
      diskState: 'Unattached',
      creationData: { createOption: 'Copy', sourceResourceId: `${compute}/disks/os-linux-v2` },
    });
    fixture('images', 'img-linux-v2', {
      hyperVGeneration: 'V2',
      storageProfile: {
        osDisk: {
          osType: 'Linux',
          osState: 'Generalized',
          managedDisk: { id: `${compute}/disks/os-linux-v2` },
        },
      },
    });
  });
  after(() => azure?.stop());

  function fixture(type: string, name: string, properties: Record<string, unknown>): string {
    const id = `${compute}/${type}/${name}`;
    const resource: StoredResource = {
      id,
      name,
      type: `Microsoft.Compute/${type}`,
      location: 'westeurope',
      properties: { ...properties, provisioningState: 'Succeeded' },
      preexisting: true,
    };
    azure.arm.store.put(resource);
    return id;
  }

  const source = (type: string, name: string) => `${compute}/${type}/${name}`;

  function inputs(image: string, overrides: Record<string, string> = {}): Record<string, string> {
    return {
      ConnectedServiceName: CONNECTION_ID,
      mode: 'publish',
      resourceGroupName: RG,
      location: 'westeurope',
      galleryName: 'platform_images',
      imageDefinition: image,
      osType: 'Linux',
      hyperVGeneration: 'V2',
      securityType: 'TrustedLaunchSupported',
      publisher: 'contoso',
      offer: 'linux',
      sku: image,
      source: source('disks', 'os-linux-v2'),
      ...overrides,
    };
  }

  async function run(taskInputs: Record<string, string>, env: Record<string, string> = {}): Promise<TaskRun> {
    const result = await runTask('ShareToGallery', {
      inputs: taskInputs,
      env: {
        ...serviceConnectionEnv(azure, 'secret', CONNECTION_ID),
        VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.03',
        BUILD_BUILDNUMBER: '20261125.7',
        ...env,
      },
    });
    assert.deepEqual(leakedSecrets(result, [azure.principals.secret.clientSecret]), [], describeRun(result));
    return result;
  }

  const versionsOf = (image: string) =>
    azure
      .audit()
      .filter((r) => r.id.includes(`/galleries/platform_images/images/${image}/versions/`))
      .map((r) => r.id.split('/').pop()!);

  const versionProps = (image: string, version: string) =>
    azure.arm.store.get(`${compute}/galleries/platform_images/images/${image}/versions/${version}`)!
      .properties as {
      publishingProfile: {
        targetRegions: { name: string; regionalReplicaCount: number; excludeFromLatest: boolean }[];
        endOfLifeDate?: string;
      };
    };

  it('publishes to three regions, waiting with progress and a per-region table; a re-run changes nothing', async () => {
    const publish = inputs('app-server', {
      targetRegions: 'northeurope=2\neastus Standard_ZRS',
      waitForReplication: 'true',
    });
    const first = await run(publish);
    assert.equal(first.result, 'Succeeded', describeRun(first));
    assert.equal(first.variables.imageVersion.value, '1.0.0');
    assert.equal(first.variables.imageVersionAction.value, 'created');
    assert.equal(first.variables.imageVersionRegions.value, 'westeurope,northeurope,eastus');
    assert.match(first.variables.imageVersionId.value, /\/images\/app-server\/versions\/1\.0\.0$/);
    const percents = first.progress.map((p) => p.percent);
    assert.ok(
      percents.some((p) => p > 0 && p < 100),
      `progress between 0 and 100: ${percents.join(',')}`,
    );
    assert.equal(percents[percents.length - 1], 100);
    assert.match(first.summaries[0].content, /\| `eastus` \| Completed \| 100% \| 1 \| yes \|/);
    assert.match(first.summaries[0].content, /\| `northeurope` \| Completed \| 100% \| 2 \| yes \|/);
    assert.equal(versionProps('app-server', '1.0.0').publishingProfile.targetRegions.length, 3);

    const again = await run(publish);
    assert.equal(again.result, 'Succeeded', describeRun(again));
    assert.equal(again.variables.imageVersion.value, '1.0.0', 'nextPatch finds its own version, not 1.0.1');
    assert.equal(again.variables.imageVersionAction.value, 'unchanged');
    assert.deepEqual(versionsOf('app-server'), ['1.0.0']);

    const next = await run({
      ...publish,
      source: source('snapshots', 'snap-linux-v2'),
      waitForReplication: 'false',
    });
    assert.equal(next.variables.imageVersion.value, '1.0.1', 'a new source is the next patch');
  });

  it('returns once Azure accepts the version; wait mode then waits for the chosen regions', async () => {
    // Slow enough that a wait with no time to spare finds it still replicating.
    azure.replication.regionMs = 1000;
    const accepted = await run(
      inputs('app-server', {
        versionStrategy: 'explicit',
        version: '1.1.0',
        targetRegions: 'eastus\nuksouth',
      }),
    );
    azure.replication.regionMs = 150;
    assert.equal(accepted.result, 'Succeeded', describeRun(accepted));
    assert.match(accepted.summaries[0].content, /replication InProgress/);
    assert.match(accepted.summaries[0].content, /Replicating/);
    const tooSoon = await run({ ...inputs('app-server'), mode: 'wait', version: '1.1.0', waitTimeout: '0s' });
    assert.equal(tooSoon.result, 'Failed', describeRun(tooSoon));
    assert.match(
      tooSoon.resultMessage ?? '',
      /replication of version 1\.1\.0 did not finish in time; still pending: .*Replicating/,
    );
    const waited = await run({ ...inputs('app-server'), mode: 'wait', version: '1.1.0', regions: 'uksouth' });
    assert.equal(waited.result, 'Succeeded', describeRun(waited));
    assert.match(waited.summaries[0].content, /\| `uksouth` \| Completed \| 100% \|/);
    assert.equal(waited.progress[waited.progress.length - 1].percent, 100);
  });

  it('publishes from a VM, a VHD blob and a managed image (Standard definition), honouring Retry-After while waiting', async () => {
    const vm: StoredResource = {
      id: `${compute}/virtualMachines/builder-vm`,
      name: 'builder-vm',
      type: 'Microsoft.Compute/virtualMachines',
      location: 'westeurope',
      properties: {
        provisioningState: 'Succeeded',
        // As Azure shows a VM: its OS disk says how it was made (the spec requires createOption).
        storageProfile: {
          osDisk: {
            osType: 'Linux',
            createOption: 'FromImage',
            managedDisk: { id: `${compute}/disks/os-linux-v2` },
          },
        },
      },
      preexisting: true,
    };
    azure.arm.store.put(vm);
    const standard = { securityType: 'Standard', versionStrategy: 'explicit' };
    const fromVm = await run(inputs('sources', { ...standard, version: '1.0.0', source: vm.id }));
    assert.equal(fromVm.result, 'Succeeded', describeRun(fromVm));
    assert.match(fromVm.summaries[0].content, /from virtualMachine `.*\/virtualMachines\/builder-vm`/);
    const storageAccountId = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-storage/providers/Microsoft.Storage/storageAccounts/images`;
    const fromVhd = await run(
      inputs('sources', {
        ...standard,
        version: '1.0.1',
        source:
          'https://images.blob.core.windows.net/vhds/app.vhd?sv=2024&sig=c2VjcmV0LXNhcy1zaWduYXR1cmU%3D',
        sourceStorageAccountId: storageAccountId,
      }),
      { SYSTEM_DEBUG: 'true' },
    );
    assert.equal(fromVhd.result, 'Succeeded', describeRun(fromVhd));
    assert.deepEqual(
      fromVhd.stdout
        .split('\n')
        .filter((l) => l.includes('c2VjcmV0LXNhcy1zaWduYXR1cmU') && !l.startsWith('##vso[task.setsecret]')),
      [],
      'the SAS of a VHD source never reaches the log, even with System.Debug',
    );
    assert.ok(fromVhd.secrets.some((x) => x.includes('sig=c2VjcmV0LXNhcy1zaWduYXR1cmU')));
    const vhdProfile = azure.arm.store.get(
      `${compute}/galleries/platform_images/images/sources/versions/1.0.1`,
    )!.properties.storageProfile as { osDiskImage: { source: { uri: string; storageAccountId: string } } };
    assert.deepEqual(vhdProfile.osDiskImage.source, {
      uri: 'https://images.blob.core.windows.net/vhds/app.vhd',
      storageAccountId,
    });
    azure.faults.add({ kind: 'throttle', method: 'GET', path: /\/versions\/1\.0\.2$/, retryAfterSeconds: 1 });
    const started = Date.now();
    const fromImage = await run(
      inputs('sources', {
        ...standard,
        version: '1.0.2',
        source: source('images', 'img-linux-v2'),
        waitForReplication: 'true',
      }),
    );
    assert.equal(fromImage.result, 'Succeeded', describeRun(fromImage));
    assert.ok(azure.faults.fired.some((f) => f.kind === 'throttle' && f.path.endsWith('/versions/1.0.2')));
    assert.ok(Date.now() - started >= 1000, 'the throttled poll waited as Retry-After said');
  });

  it("fails with the region's own error when a region fails to replicate", async () => {
    azure.replication.failingRegions.set(
      'japaneast',
      'Replication to japaneast failed: regional capacity is exhausted.',
    );
    const failed = await run(
      inputs('app-server', {
        versionStrategy: 'explicit',
        version: '1.2.0',
        targetRegions: 'japaneast',
        waitForReplication: 'true',
      }),
    );
    azure.replication.failingRegions.clear();
    assert.equal(failed.result, 'Failed', describeRun(failed));
    assert.match(
      failed.resultMessage ?? '',
      /replication failed in japaneast \(Replication to japaneast failed: regional capacity is exhausted\.\)/,
    );
  });

  it('resolves latest numerically (1.10 above 1.9), passing over excluded versions; promote and demote move it', async () => {
    const publish = (version: string, extra: Record<string, string> = {}) =>
      run(inputs('resolver', { versionStrategy: 'explicit', version, ...extra }));
    for (const [v, extra] of [
      ['1.9.0', { targetRegions: 'northeurope' }],
      ['1.10.0', {}],
      ['1.11.0', { excludeFromLatest: 'true', targetRegions: 'northeurope' }],
    ] as const) {
      const r = await publish(v, extra);
      assert.equal(r.result, 'Succeeded', describeRun(r));
    }
    const resolve = (extra: Record<string, string> = {}) =>
      run({ ...inputs('resolver'), mode: 'resolve', ...extra });
    await run({ ...inputs('resolver'), mode: 'wait', version: '1.11.0' });
    await run({ ...inputs('resolver'), mode: 'wait', version: '1.9.0' });
    const latest = await resolve();
    assert.equal(latest.result, 'Succeeded', describeRun(latest));
    assert.equal(latest.variables.imageVersion.value, '1.10.0');
    assert.match(latest.stdout, /Passed over 1\.11\.0: excluded from latest/);
    const inNorth = await resolve({ regions: 'northeurope' });
    assert.equal(inNorth.variables.imageVersion.value, '1.9.0', '1.10.0 is not replicated to northeurope');

    const promoted = await run({ ...inputs('resolver'), mode: 'promote', version: '1.11.0' });
    assert.equal(promoted.result, 'Succeeded', describeRun(promoted));
    assert.equal((await resolve()).variables.imageVersion.value, '1.11.0');
    const demoted = await run({
      ...inputs('resolver'),
      mode: 'demote',
      version: '1.11.0',
      regions: 'northeurope',
    });
    assert.equal(demoted.result, 'Succeeded', describeRun(demoted));
    assert.equal(
      (await resolve({ regions: 'northeurope' })).variables.imageVersion.value,
      '1.9.0',
      'rolled back in northeurope',
    );
    assert.equal((await resolve()).variables.imageVersion.value, '1.11.0', 'still latest where not demoted');
    const unknown = await run({
      ...inputs('resolver'),
      mode: 'promote',
      version: '1.11.0',
      regions: 'japaneast',
    });
    assert.match(
      unknown.resultMessage ?? '',
      /Input 'regions': version 1\.11\.0 is not replicated to japaneast/,
    );
  });

  it('retention: a dry run only prints the plan; apply deletes in parallel, shrinks, stamps end of life, and reports protected versions', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0']) {
      const r = await run(
        inputs('retained', {
          versionStrategy: 'explicit',
          version: v,
          targetRegions: 'northeurope=2',
          waitForReplication: 'true',
        }),
      );
      assert.equal(r.result, 'Succeeded', describeRun(r));
    }
    // Time passes: 1.0.0 and 1.1.0 reach their end of life.
    for (const v of ['1.0.0', '1.1.0'])
      versionProps('retained', v).publishingProfile.endOfLifeDate = '2026-01-01T00:00:00Z';
    // 1.0.0 is still the source of another image's version, so Azure refuses to delete it.
    const consumer = await run(
      inputs('consumer', {
        source: `${compute}/galleries/platform_images/images/retained/versions/1.0.0`,
        versionStrategy: 'explicit',
        version: '2.0.0',
        waitForReplication: 'true',
      }),
    );
    assert.equal(consumer.result, 'Succeeded', describeRun(consumer));
    const retain = { ...inputs('retained'), mode: 'retain', keepVersions: '2', endOfLifeAfter: '30d' };
    const before = JSON.stringify(azure.audit());
    const dry = await run(retain);
    assert.equal(dry.result, 'Succeeded', describeRun(dry));
    assert.match(dry.summaries[0].content, /dry run: nothing changed/);
    assert.match(dry.stdout, /1\.1\.0: delete planned/);
    assert.match(dry.stdout, /1\.2\.0: update planned \(shrink to 1 replica in westeurope, end of life/);
    assert.equal(JSON.stringify(azure.audit()), before, 'a dry run changes nothing');

    const applied = await run({ ...retain, dryRun: 'false' });
    assert.equal(applied.result, 'SucceededWithIssues', describeRun(applied));
    assert.match(applied.resultMessage ?? '', /1\.0\.0 protected/);
    assert.match(applied.stdout, /1\.0\.0: delete protected \(.*in use as the source/);
    assert.equal(applied.variables.retentionDeleted.value, '1.1.0');
    assert.deepEqual(versionsOf('retained').sort(), ['1.0.0', '1.2.0', '1.3.0', '1.4.0']);
    const shrunk = versionProps('retained', '1.2.0').publishingProfile;
    assert.deepEqual(
      shrunk.targetRegions.map((r) => [r.name, r.regionalReplicaCount]),
      [['westeurope', 1]],
    );
    assert.ok(shrunk.endOfLifeDate && Date.parse(shrunk.endOfLifeDate) > Date.now());
    assert.equal(
      versionProps('retained', '1.4.0').publishingProfile.targetRegions.length,
      2,
      'kept versions untouched',
    );
  });

  it('shares the gallery: Reader for principals, direct sharing with a subscription and a tenant; a re-run adds nothing', async () => {
    const group = '6f0a1f7e-0c55-4c1b-9c2d-1b6a3e5f7a01';
    const user = '2b7d6c1e-3f4a-4e8b-9a0c-5d6e7f8a9b02';
    const tenant = 'c0ffee00-1234-4abc-8def-0123456789ab';
    const share = {
      ...inputs('app-server'),
      mode: 'share',
      principals: `${group} Group\n${user} User`,
      shareWithSubscriptions: azure.secondSubscriptionId,
      shareWithTenants: tenant,
    };
    const first = await run(share);
    assert.equal(first.result, 'Succeeded', describeRun(first));
    const gallery = `${compute}/galleries/platform_images`;
    const assignments = azure.arm.store
      .all()
      .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments');
    assert.deepEqual(
      assignments
        .map((a) => [
          a.properties.principalId,
          a.properties.principalType,
          String(a.properties.roleDefinitionId).split('/').pop(),
          a.properties.scope,
        ])
        .sort(),
      [
        [user, 'User', 'acdd72a7-3385-48ef-bd42-f606fba81ae7', gallery],
        [group, 'Group', 'acdd72a7-3385-48ef-bd42-f606fba81ae7', gallery],
      ].sort(),
    );
    const profile = azure.arm.store.get(gallery)!.properties.sharingProfile as {
      permissions: string;
      groups: { type: string; ids: string[] }[];
    };
    assert.equal(profile.permissions, 'Groups');
    assert.deepEqual(profile.groups, [
      { type: 'Subscriptions', ids: [azure.secondSubscriptionId] },
      { type: 'AADTenants', ids: [tenant] },
    ]);
    const again = await run(share);
    assert.equal(again.result, 'Succeeded', describeRun(again));
    assert.match(again.stdout, /Reader for Group 6f0a1f7e-0c55-4c1b-9c2d-1b6a3e5f7a01: exists/);
    assert.equal(
      azure.arm.store.all().filter((r) => r.type === 'Microsoft.Authorization/roleAssignments').length,
      2,
    );
    assert.match(again.summaries[0].content, /already shared with/);
  });

  it('publishes a community gallery with its publisher details', async () => {
    const created = await run({
      ...inputs('community-image'),
      mode: 'ensureDefinition',
      galleryName: 'community_images',
    });
    assert.equal(created.result, 'Succeeded', describeRun(created));
    const shared = await run({
      ...inputs('community-image'),
      mode: 'share',
      galleryName: 'community_images',
      communityPublicNamePrefix: 'contoso',
      communityPublisherUri: 'https://images.contoso.example',
      communityPublisherContact: 'images@contoso.example',
      communityEula: 'https://images.contoso.example/eula',
    });
    assert.equal(shared.result, 'Succeeded', describeRun(shared));
    assert.match(shared.summaries[0].content, /Community gallery: `contoso-community_images`/);
  });

  describe('bad input: a clear error naming the input, and nothing created', () => {
    before(async () => {
      const r = await run(
        inputs('checked', { versionStrategy: 'explicit', version: '1.0.0', waitForReplication: 'true' }),
      );
      assert.equal(r.result, 'Succeeded', describeRun(r));
    });
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        'malformed version',
        { versionStrategy: 'explicit', version: '1.2' },
        /Input 'version': '1\.2' is not a gallery image version: use Major\.Minor\.Patch/,
      ],
      [
        'version part above int32',
        { versionStrategy: 'explicit', version: '1.0.2147483648' },
        /Input 'version': .*patch part 2147483648 is larger than 2147483647/,
      ],
      [
        'existing version without overwrite',
        { versionStrategy: 'explicit', version: '1.0.0', source: '$snapshots/snap-linux-v2' },
        /Input 'version': version 1\.0\.0 already exists .*set overwrite to replace it/,
      ],
      [
        'unknown region',
        { targetRegions: 'westeruope' },
        /Input 'targetRegions': 'westeruope' is not an Azure region; did you mean westeurope/,
      ],
      [
        'replica count below 1',
        { targetRegions: 'eastus=0' },
        /Input 'targetRegions': replica count 0 is outside 1\.\.100/,
      ],
      ['replica count above 100', { replicaCount: '101' }, /Input 'replicaCount'/],
      [
        'source with another OS',
        { source: '$disks/os-windows-v2' },
        /Input 'source': .*os-windows-v2 is a Windows disk, but image definition 'checked' is Linux/,
      ],
      [
        'source with another generation',
        { source: '$disks/os-linux-v1' },
        /Input 'source': .*is Hyper-V generation V1, but image definition 'checked' is V2/,
      ],
      [
        'Trusted Launch definition with a managed image',
        { source: '$images/img-linux-v2' },
        /Input 'source': .*is a managed image, which Azure does not accept .*TrustedLaunchSupported/,
      ],
      [
        'end of life in the past',
        { versionEndOfLifeDate: '2020-01-01' },
        /Input 'versionEndOfLifeDate': 2020-01-01T00:00:00\.000Z is in the past/,
      ],
      ['missing source', { source: '' }, /Input 'source': is required/],
      [
        'gallery name with illegal characters',
        { galleryName: 'platform-images' },
        /Input 'galleryName': 'platform-images' is not a valid gallery name/,
      ],
      ['definition mismatch', { osType: 'Windows', source: '$disks/os-windows-v2' }, /Input 'osType'/],
      ['unknown source', { source: '$disks/nope' }, /Input 'source': .*\/disks\/nope does not exist/],
    ];
    for (const [what, overrides, message] of cases) {
      it(what, async () => {
        const resolved = Object.fromEntries(
          Object.entries(overrides).map(([k, v]) => [k, v.startsWith('$') ? `${compute}/${v.slice(1)}` : v]),
        );
        const before = JSON.stringify(azure.audit());
        const result = await run(inputs('checked', resolved));
        assert.equal(result.result, 'Failed', describeRun(result));
        assert.match(result.resultMessage ?? '', message);
        assert.equal(JSON.stringify(azure.audit()), before, 'nothing was created or changed');
      });
    }
  });
});
