// A client this project does not write: the Azure SDK's generic @azure/arm-resources, on routes the tasks
// happen not to use, so those answer as Azure's do too (list shapes, 404s, asynchronous deletes).
import assert from 'node:assert/strict';
import { ResourceManagementClient } from '@azure/arm-resources';
import { isRestError } from '@azure/core-rest-pipeline';
import { armClientOptions, computeClient } from '../../shared/azure/clients';
import { localContext } from '../harness/connections';
import { startLocalAzure, type LocalAzure } from './index';

describe('local Azure through @azure/arm-resources (a second client)', function () {
  this.timeout(60_000);
  let azure: LocalAzure;
  let resources: ResourceManagementClient;
  before(async () => {
    azure = await startLocalAzure({ blob: false });
    const ctx = localContext(azure);
    resources = new ResourceManagementClient(ctx.credential, azure.subscriptionId, armClientOptions(ctx));
  });
  after(() => azure?.stop());

  it('creates, gets, lists and deletes resource groups as Azure answers them', async () => {
    const created = await resources.resourceGroups.createOrUpdate('rg-second', {
      location: 'West US',
      tags: { team: 'images' },
    });
    assert.equal(created.location, 'westus');
    assert.equal((await resources.resourceGroups.get('rg-second')).tags?.team, 'images');
    assert.equal(await resources.resourceGroups.checkExistence('rg-second').then((r) => r.body), true);
    const names: string[] = [];
    for await (const g of resources.resourceGroups.list()) names.push(g.name!);
    assert.ok(names.includes('rg-second'), `listed: ${names.join(', ')}`);
    const missing = await resources.resourceGroups.get('rg-nope').catch((e: unknown) => e);
    assert.ok(isRestError(missing) && missing.statusCode === 404 && missing.code === 'ResourceGroupNotFound');
    await resources.resourceGroups.beginDeleteAndWait('rg-second', { updateIntervalInMs: 10 });
    assert.equal(await resources.resourceGroups.checkExistence('rg-second').then((r) => r.body), false);
  });

  it('lists the resources of a group and of the subscription', async () => {
    await resources.resourceGroups.createOrUpdate('rg-list', { location: 'westeurope' });
    const ctx = localContext(azure);
    await computeClient(ctx).galleries.createOrUpdate(
      'rg-list',
      'listed_gallery',
      { location: 'westeurope' },
      {
        updateIntervalInMs: 10,
      },
    );
    const inGroup: string[] = [];
    for await (const r of resources.resources.listByResourceGroup('rg-list'))
      inGroup.push(`${r.type} ${r.name}`);
    assert.deepEqual(inGroup, ['Microsoft.Compute/galleries listed_gallery']);
    const inSubscription: string[] = [];
    for await (const r of resources.resources.list()) inSubscription.push(r.name!);
    assert.ok(inSubscription.includes('listed_gallery'));
  });
});
