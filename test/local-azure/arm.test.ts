import assert from 'node:assert/strict';
import type { GalleryImage } from '@azure/arm-compute';
import { isRestError } from '@azure/core-rest-pipeline';
import { computeClient, lroOptions } from '../../shared/azure/clients';
import { formatAzureError } from '../../shared/azure/errors';
import { startLocalAzure, type LocalAzure } from './index';
import { localContext } from '../harness/connections';

const DEFINITION: GalleryImage = {
  location: 'westeurope',
  osType: 'Linux',
  osState: 'Generalized',
  hyperVGeneration: 'V2',
  identifier: { publisher: 'p', offer: 'o', sku: 's' },
};

describe('local ARM: long-running operations, errors and faults through the real SDK', function () {
  this.timeout(60_000);
  let azure: LocalAzure;
  const rg = 'rg-arm';

  before(async () => {
    azure = await startLocalAzure({ blob: false, operationDelayMs: 60 });
    azure.resourceGroup(rg);
  });
  after(() => azure?.stop());
  afterEach(() => azure.faults.clear());

  it('creates through 201 + Azure-AsyncOperation and polls to Succeeded, then deletes through 202 + Location', async () => {
    const ctx = localContext(azure);
    const client = computeClient(ctx);
    const gallery = await client.galleries.createOrUpdate(
      rg,
      'g_lro',
      { location: 'westeurope' },
      lroOptions(ctx),
    );
    assert.equal(gallery.provisioningState, 'Succeeded');
    assert.match(gallery.identifier?.uniqueName ?? '', /-G_LRO$/);
    const statusPolls = azure.requests.filter((r) => /\/operations\/[0-9a-f-]+$/.test(r.path));
    assert.ok(statusPolls.length >= 1, 'the SDK polled the operation status');
    await client.galleries.delete(rg, 'g_lro', lroOptions(ctx));
    assert.deepEqual(azure.audit({ created: true }), []);
  });

  it('answers ARM errors: missing parent, refused delete with nested resources, immutable property', async () => {
    const ctx = localContext(azure);
    const client = computeClient(ctx);
    const orphan = await client.galleryImages
      .createOrUpdate(rg, 'nogallery', 'def', DEFINITION, lroOptions(ctx))
      .catch((e: unknown) => e);
    assert.ok(
      isRestError(orphan) && orphan.statusCode === 404 && orphan.code === 'ParentResourceNotFound',
      String(orphan),
    );

    await client.galleries.createOrUpdate(rg, 'g_nested', { location: 'westeurope' }, lroOptions(ctx));
    await client.galleryImages.createOrUpdate(rg, 'g_nested', 'def', DEFINITION, lroOptions(ctx));
    const refused = await client.galleries.delete(rg, 'g_nested', lroOptions(ctx)).catch((e: unknown) => e);
    assert.ok(
      isRestError(refused) && refused.statusCode === 409 && refused.code === 'CannotDeleteResource',
      String(refused),
    );
    assert.match(
      formatAzureError(refused),
      /Microsoft\.Compute\/galleries\/g_nested\/images\/def.*correlation id [0-9a-f-]{36}/,
    );

    const changed = await client.galleryImages
      .createOrUpdate(rg, 'g_nested', 'def', { ...DEFINITION, osType: 'Windows' }, lroOptions(ctx))
      .catch((e: unknown) => e);
    assert.ok(isRestError(changed) && changed.code === 'PropertyChangeNotAllowed', String(changed));

    await client.galleryImages.delete(rg, 'g_nested', 'def', lroOptions(ctx));
    await client.galleries.delete(rg, 'g_nested', lroOptions(ctx));
    assert.deepEqual(azure.audit({ created: true }), []);
  });

  for (const kind of ['throttle', 'serverError', 'unavailable', 'reset'] as const) {
    it(`recovers from an injected ${kind} through the SDK's retries`, async () => {
      azure.faults.add({
        kind,
        path: /\/galleries\/g_fault$/,
        method: 'GET',
        count: 1,
        retryAfterSeconds: 1,
      });
      const client = computeClient(localContext(azure));
      const result = await client.galleries.get(rg, 'g_fault').catch((e: unknown) => e);
      // The gallery does not exist: the retried request reaches ARM and gets its real 404.
      assert.ok(
        isRestError(result) && result.statusCode === 404 && result.code === 'ResourceNotFound',
        String(result),
      );
      assert.equal(azure.faults.fired.filter((f) => f.kind === kind).length >= 1, true);
    });
  }

  it('surfaces a long-running operation that fails, with its code, and leaves the resource Failed', async () => {
    azure.faults.add({
      kind: 'failOperation',
      path: /\/galleries\/g_fail$/,
      method: 'PUT',
      error: { code: 'AllocationFailed', message: 'Regional capacity is exhausted.' },
    });
    const ctx = localContext(azure);
    const client = computeClient(ctx);
    const error = await client.galleries
      .createOrUpdate(rg, 'g_fail', { location: 'westeurope' }, lroOptions(ctx))
      .catch((e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.match(formatAzureError(error), /AllocationFailed|Regional capacity is exhausted/);
    assert.equal(azure.audit().find((r) => r.id.endsWith('/g_fail'))?.provisioningState, 'Failed');
    await client.galleries.delete(rg, 'g_fail', lroOptions(ctx));
  });

  it('makes clients wait as long as Retry-After says', async () => {
    const slow = await startLocalAzure({ blob: false, retryAfterSeconds: 1, operationDelayMs: 10 });
    try {
      slow.resourceGroup(rg);
      const ctx = localContext(slow);
      const started = Date.now();
      await computeClient(ctx).galleries.createOrUpdate(
        rg,
        'g_retry',
        { location: 'westeurope' },
        lroOptions(ctx),
      );
      assert.ok(Date.now() - started >= 900, 'the 20 ms poll interval was replaced by Retry-After: 1');
    } finally {
      await slow.stop();
    }
  });
});
