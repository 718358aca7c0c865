// What oav cannot see, checked through the real SDK: where polling URLs point, what a PUT does to what exists,
// what Azure refuses to change, the defaults Azure fills in, and which regions exist.
import assert from 'node:assert/strict';
import { isRestError } from '@azure/core-rest-pipeline';
import { computeClient } from '../../shared/azure/clients';
import { localContext } from '../harness/connections';
import { startLocalAzure, type LocalAzure } from './index';

describe('local ARM behaviour beyond the schemas', function () {
  this.timeout(60_000);
  let azure: LocalAzure;
  const rg = 'rg-behaviour';
  const lro = { updateIntervalInMs: 10 };
  const client = () => computeClient(localContext(azure));
  const refusal = async (work: Promise<unknown>) => {
    const e = await work.then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(isRestError(e), `expected Azure to refuse, got ${String(e)}`);
    return { status: e.statusCode, code: e.code };
  };

  before(async () => {
    azure = await startLocalAzure({ record: true });
    azure.resourceGroup(rg);
  });
  after(() => azure?.stop());

  it('points polling URLs at the resource’s region with the request’s api-version', async () => {
    await client().galleries.createOrUpdate(rg, 'g_north', { location: 'North Europe' }, lro);
    const put = azure.recorded.find((e) => e.method === 'PUT' && /galleries\/g_north\?/.test(e.url))!;
    const apiVersion = new URL(put.url).searchParams.get('api-version');
    for (const header of ['Azure-AsyncOperation', 'Location']) {
      const url = new URL(put.responseHeaders[header]);
      assert.match(url.pathname, /\/providers\/Microsoft\.Compute\/locations\/northeurope\//, header);
      assert.equal(url.searchParams.get('api-version'), apiVersion, header);
    }
  });

  it('knows every public region by name or display name, and refuses a region Azure does not have', async () => {
    await client().galleries.createOrUpdate(rg, 'g_west', { location: 'West US' }, lro);
    assert.equal((await client().galleries.get(rg, 'g_west')).location, 'westus');
    assert.deepEqual(
      await refusal(client().galleries.createOrUpdate(rg, 'g_moon', { location: 'moonbase' }, lro)),
      {
        status: 400,
        code: 'LocationNotAvailableForResourceType',
      },
    );
  });

  it('replaces tags on PUT, and refuses a new Hyper-V generation or OS type for a disk', async () => {
    const disk = {
      location: 'westeurope',
      osType: 'Linux' as const,
      hyperVGeneration: 'V2' as const,
      creationData: { createOption: 'Empty' as const },
      diskSizeGB: 1,
    };
    await client().disks.createOrUpdate(rg, 'd-tags', { ...disk, tags: { team: 'images' } }, lro);
    await client().disks.createOrUpdate(rg, 'd-tags', disk, lro);
    assert.equal((await client().disks.get(rg, 'd-tags')).tags, undefined, 'an ARM PUT replaces tags');
    assert.deepEqual(
      await refusal(client().disks.createOrUpdate(rg, 'd-tags', { ...disk, hyperVGeneration: 'V1' }, lro)),
      {
        status: 409,
        code: 'PropertyChangeNotAllowed',
      },
    );
    assert.deepEqual(
      await refusal(client().disks.createOrUpdate(rg, 'd-tags', { ...disk, osType: 'Windows' }, lro)),
      {
        status: 409,
        code: 'PropertyChangeNotAllowed',
      },
    );
  });

  it('fills in the defaults Azure reports for snapshots and managed images', async () => {
    // A small upload disk: an empty disk of whole GiB would make Azurite copy a GiB for the snapshot.
    const disk = await client().disks.createOrUpdate(
      rg,
      'd-defaults',
      {
        location: 'westeurope',
        osType: 'Linux',
        creationData: { createOption: 'Upload', uploadSizeBytes: 20 * 1024 * 1024 + 512 },
      },
      lro,
    );
    await client().disks.grantAccess(rg, 'd-defaults', { access: 'Write', durationInSeconds: 600 }, lro);
    await client().disks.revokeAccess(rg, 'd-defaults', lro);
    const snapshot = await client().snapshots.createOrUpdate(
      rg,
      's-defaults',
      {
        location: 'westeurope',
        incremental: true,
        creationData: { createOption: 'Copy', sourceResourceId: disk.id },
      },
      lro,
    );
    assert.equal(snapshot.encryption?.type, 'EncryptionAtRestWithPlatformKey');
    assert.equal(snapshot.networkAccessPolicy, 'AllowAll');
    assert.ok(snapshot.incrementalSnapshotFamilyId, 'an incremental snapshot has a family id');
    const image = await client().images.createOrUpdate(
      rg,
      'i-defaults',
      {
        location: 'westeurope',
        storageProfile: {
          osDisk: { osType: 'Linux', osState: 'Generalized', snapshot: { id: snapshot.id } },
        },
      },
      lro,
    );
    assert.equal(image.storageProfile?.osDisk?.caching, 'ReadWrite');
    assert.equal(image.storageProfile?.osDisk?.storageAccountType, 'Standard_LRS');
    assert.equal(image.storageProfile?.zoneResilient, false);
  });
});

describe('local ARM gallery behaviour the examples showed', function () {
  this.timeout(60_000);
  let azure: LocalAzure;
  const rg = 'rg-gallery-behaviour';
  const lro = { updateIntervalInMs: 10 };
  const client = () => computeClient(localContext(azure));
  before(async () => {
    azure = await startLocalAzure();
    azure.resourceGroup(rg);
  });
  after(() => azure?.stop());

  async function imageWithDataDisk(): Promise<string> {
    const small = { location: 'westeurope', osType: 'Linux' as const, hyperVGeneration: 'V2' as const };
    for (const name of ['os', 'data']) {
      await client().disks.createOrUpdate(
        rg,
        name,
        { ...small, creationData: { createOption: 'Upload', uploadSizeBytes: 20 * 1024 * 1024 + 512 } },
        lro,
      );
      await client().disks.grantAccess(rg, name, { access: 'Write', durationInSeconds: 600 }, lro);
      await client().disks.revokeAccess(rg, name, lro);
    }
    const disk = (name: string) =>
      `/subscriptions/${azure.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/disks/${name}`;
    const image = await client().images.createOrUpdate(
      rg,
      'img-data',
      {
        location: 'westeurope',
        hyperVGeneration: 'V2',
        storageProfile: {
          osDisk: { osType: 'Linux', osState: 'Generalized', managedDisk: { id: disk('os') } },
          dataDisks: [{ lun: 3, managedDisk: { id: disk('data') } }],
        },
      },
      lro,
    );
    return image.id!;
  }

  it('gives a version made from an image with data disks its dataDiskImages, keeps securityProfile, and refuses an unknown disk encryption set', async () => {
    await client().galleries.createOrUpdate(rg, 'g_b', { location: 'westeurope' }, lro);
    await client().galleryImages.createOrUpdate(
      rg,
      'g_b',
      'def',
      {
        location: 'westeurope',
        osType: 'Linux',
        osState: 'Generalized',
        hyperVGeneration: 'V2',
        identifier: { publisher: 'p', offer: 'o', sku: 's' },
      },
      lro,
    );
    const source = await imageWithDataDisk();
    const version = await client().galleryImageVersions.createOrUpdate(
      rg,
      'g_b',
      'def',
      '1.0.0',
      {
        location: 'westeurope',
        storageProfile: { source: { id: source } },
        securityProfile: {
          uefiSettings: { signatureTemplateNames: ['MicrosoftUefiCertificateAuthorityTemplate'] },
        },
      },
      lro,
    );
    assert.deepEqual(
      version.storageProfile?.dataDiskImages?.map((d) => d.lun),
      [3],
    );
    assert.deepEqual(version.securityProfile?.uefiSettings?.signatureTemplateNames, [
      'MicrosoftUefiCertificateAuthorityTemplate',
    ]);
    const des = `/subscriptions/${azure.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/diskEncryptionSets/nope`;
    const refused = await client()
      .galleryImageVersions.createOrUpdate(
        rg,
        'g_b',
        'def',
        '1.0.1',
        {
          location: 'westeurope',
          storageProfile: { source: { id: source } },
          publishingProfile: {
            targetRegions: [
              { name: 'westeurope', encryption: { osDiskImage: { diskEncryptionSetId: des } } },
            ],
          },
        },
        lro,
      )
      .catch((e: unknown) => e);
    assert.ok(isRestError(refused) && refused.statusCode === 404, String(refused));
  });

  it('upgrades a Gen2 definition to Trusted Launch when allowUpdateImage says so, and only then', async () => {
    const def = {
      location: 'westeurope',
      osType: 'Linux' as const,
      osState: 'Generalized' as const,
      hyperVGeneration: 'V2' as const,
      identifier: { publisher: 'p', offer: 'o', sku: 'tl' },
    };
    await client().galleries.createOrUpdate(rg, 'g_tl', { location: 'westeurope' }, lro);
    await client().galleryImages.createOrUpdate(rg, 'g_tl', 'def', def, lro);
    const features = [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }];
    const without = await client()
      .galleryImages.createOrUpdate(rg, 'g_tl', 'def', { ...def, features }, lro)
      .catch((e: unknown) => e);
    assert.ok(isRestError(without) && without.code === 'PropertyChangeNotAllowed', String(without));
    const upgraded = await client().galleryImages.createOrUpdate(
      rg,
      'g_tl',
      'def',
      { ...def, features, allowUpdateImage: true },
      lro,
    );
    assert.equal(upgraded.features?.find((f) => f.name === 'SecurityType')?.value, 'TrustedLaunchSupported');
  });
});
