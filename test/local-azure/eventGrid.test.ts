// The local Event Grid on its own, through the real management SDK: system topics publish ARM's resource events,
// filtered, in the schema each subscription asks for; a webhook that fails the handshake is refused.
import assert from 'node:assert/strict';
import { isRestError } from '@azure/core-rest-pipeline';
import { computeClient, eventGridClient } from '../../shared/azure/clients';
import { localContext } from '../harness/connections';
import { startWebhook } from '../harness/webhook';
import { startLocalAzure, type LocalAzure } from './index';

describe('local Event Grid', function () {
  this.timeout(60_000);
  let azure: LocalAzure;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  const rg = 'rg-eventgrid';
  const lro = { updateIntervalInMs: 10 };
  before(async () => {
    azure = await startLocalAzure({ blob: false });
    azure.resourceGroup(rg);
    webhook = await startWebhook(azure.serverTls);
  });
  after(async () => {
    webhook?.close();
    await azure?.stop();
  });

  it('delivers a system topic’s resource events as CloudEvents to a subscription that asks for them, filtered by subject', async () => {
    const ctx = localContext(azure);
    const eventGrid = eventGridClient(ctx);
    await eventGrid.systemTopics.beginCreateOrUpdateAndWait(
      rg,
      'rg-events',
      {
        location: 'global',
        source: azure.resourceGroup(rg),
        topicType: 'Microsoft.Resources.ResourceGroups',
      },
      lro,
    );
    await eventGrid.systemTopicEventSubscriptions.beginCreateOrUpdateAndWait(
      rg,
      'rg-events',
      'galleries-only',
      {
        destination: { endpointType: 'WebHook', endpointUrl: webhook.url },
        eventDeliverySchema: 'CloudEventSchemaV1_0',
        filter: { subjectBeginsWith: `${azure.resourceGroup(rg)}/providers/Microsoft.Compute/galleries/` },
      },
      lro,
    );
    const compute = computeClient(ctx);
    await compute.galleries.createOrUpdate(rg, 'g_events', { location: 'westeurope' }, lro);
    // A write outside the filter: no event for it.
    await eventGrid.topics.beginCreateOrUpdateAndWait(rg, 'not-a-gallery', { location: 'westeurope' }, lro);
    await azure.eventGrid.settled();
    assert.equal(webhook.received.length, 1, JSON.stringify(webhook.received));
    const event = webhook.received[0];
    assert.equal(event.specversion, '1.0');
    assert.equal(event.type, 'Microsoft.Resources.ResourceWriteSuccess');
    assert.match(String(event.subject), /\/galleries\/g_events$/);
    assert.equal(String(event.source).toLowerCase(), azure.resourceGroup(rg).toLowerCase());
  });

  it('refuses a webhook that does not answer the validation handshake', async () => {
    const eventGrid = eventGridClient(localContext(azure));
    const refused = await eventGrid.systemTopicEventSubscriptions
      .beginCreateOrUpdateAndWait(
        rg,
        'rg-events',
        'nobody-home',
        { destination: { endpointType: 'WebHook', endpointUrl: 'https://127.0.0.1:1/hook' } },
        lro,
      )
      .catch((e: unknown) => e);
    assert.ok(isRestError(refused) && refused.statusCode === 400, String(refused));
    assert.match(
      String((refused as Error).message),
      /Webhook validation handshake failed for https:\/\/127\.0\.0\.1:1\/hook/,
    );
  });
});
