// Two Entra ID tenants, as a company and its partner have: a token is good only for its own tenant's
// subscriptions, and a write that reads across tenants needs the other tenant's token as the auxiliary one.
import assert from 'node:assert/strict';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { computeClient } from '../../shared/azure/clients';
import { localContext } from '../harness/connections';
import { startLocalAzure, type LocalAzure } from './index';

describe('local Azure with a second tenant', function () {
  this.timeout(60_000);
  let azure: LocalAzure;
  let home: ComputeManagementClient;
  let sourceVersion: string;
  const lro = { updateIntervalInMs: 20 };
  const definition = {
    location: 'westeurope',
    osType: 'Linux' as const,
    osState: 'Generalized' as const,
    hyperVGeneration: 'V2' as const,
    identifier: { publisher: 'contoso', offer: 'base', sku: 'ubuntu' },
  };

  before(async () => {
    azure = await startLocalAzure();
    azure.resourceGroup('rg-home');
    azure.resourceGroup('rg-partner', 'westeurope', azure.foreignSubscriptionId);
    home = computeClient(localContext(azure));
    await home.galleries.createOrUpdate('rg-home', 'home_gallery', { location: 'westeurope' }, lro);
    await home.galleryImages.createOrUpdate('rg-home', 'home_gallery', 'base', definition, lro);
    await home.disks.createOrUpdate(
      'rg-home',
      'os',
      {
        location: 'westeurope',
        osType: 'Linux',
        hyperVGeneration: 'V2',
        creationData: { createOption: 'Empty' },
        diskSizeGB: 1,
      },
      lro,
    );
    const version = await home.galleryImageVersions.createOrUpdate(
      'rg-home',
      'home_gallery',
      'base',
      '1.0.0',
      {
        location: 'westeurope',
        publishingProfile: { targetRegions: [{ name: 'westeurope' }] },
        storageProfile: {
          osDiskImage: {
            source: { id: `${azure.resourceGroup('rg-home')}/providers/Microsoft.Compute/disks/os` },
          },
        },
      },
      lro,
    );
    sourceVersion = version.id!;
  });
  after(() => azure?.stop());

  async function partnerVersion(ctx: ReturnType<typeof localContext>) {
    const partner = computeClient(ctx, azure.foreignSubscriptionId);
    await partner.galleries.createOrUpdate('rg-partner', 'partner_gallery', { location: 'westeurope' }, lro);
    await partner.galleryImages.createOrUpdate('rg-partner', 'partner_gallery', 'base', definition, lro);
    return partner.galleryImageVersions.createOrUpdate(
      'rg-partner',
      'partner_gallery',
      'base',
      '1.0.0',
      {
        location: 'westeurope',
        publishingProfile: { targetRegions: [{ name: 'westeurope' }] },
        storageProfile: { source: { id: sourceVersion } },
      },
      lro,
    );
  }

  it('refuses a home-tenant token on the partner subscription, naming the tenant to ask', async () => {
    const refused = await computeClient(localContext(azure), azure.foreignSubscriptionId)
      .galleries.get('rg-partner', 'anything')
      .catch((e: unknown) => e as { statusCode?: number; code?: string; message?: string });
    assert.equal((refused as { statusCode?: number }).statusCode, 401);
    assert.equal((refused as { code?: string }).code, 'InvalidAuthenticationTokenTenant');
    assert.match(String((refused as Error).message), new RegExp(azure.secondTenantId));
  });

  it('refuses a cross-tenant version without the auxiliary token, and makes it with one', async () => {
    const partnerCtx = localContext(azure, { tenant: 'second' });
    const refused = await partnerVersion(partnerCtx).catch(
      (e: unknown) => e as { statusCode?: number; code?: string },
    );
    assert.equal((refused as { statusCode?: number }).statusCode, 403);
    assert.equal((refused as { code?: string }).code, 'LinkedAuthorizationFailed');
    const withAux = { ...partnerCtx, auxiliaryCredentials: [localContext(azure).credential] };
    const made = await partnerVersion(withAux);
    assert.equal(made.provisioningState, 'Succeeded');
    assert.ok(made.id!.includes(azure.foreignSubscriptionId));
  });
});
