import assert from 'node:assert/strict';
import * as https from 'node:https';
import { QueueClient, StorageSharedKeyCredential } from '@azure/storage-queue';
import { computeClient, eventGridClient } from '../../shared/azure/clients';
import { localContext, serviceConnectionEnv } from '../harness/connections';
import { describeRun, leakedSecrets, runTask, type TaskRun } from '../harness/runTask';
import { startLocalAzure, type LocalAzure } from '../local-azure/index';
import { startWebhook } from '../harness/webhook';

const CONNECTION_ID = 'conn';
const RG = 'rg-announce';

describe('AnnounceImage task (bundle through the harness against local Azure, Event Grid, Azurite queues, DevOps)', function () {
  this.timeout(120_000);
  let azure: LocalAzure;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  let versionId = '';
  let topicEndpoint = '';
  let topicKey = '';
  let queue: QueueClient;
  const lro = { updateIntervalInMs: 10 };

  before(async () => {
    azure = await startLocalAzure({ queue: true });
    azure.resourceGroup(RG);
    webhook = await startWebhook(azure.serverTls);
    const ctx = localContext(azure);
    const compute = computeClient(ctx);
    await compute.disks.createOrUpdate(
      RG,
      'os',
      {
        location: 'westeurope',
        osType: 'Linux',
        hyperVGeneration: 'V2',
        creationData: { createOption: 'Upload', uploadSizeBytes: 20 * 1024 * 1024 + 512 },
      },
      lro,
    );
    await compute.disks.grantAccess(RG, 'os', { access: 'Write', durationInSeconds: 600 }, lro);
    await compute.disks.revokeAccess(RG, 'os', lro);
    await compute.galleries.createOrUpdate(RG, 'images', { location: 'westeurope' }, lro);
    await compute.galleryImages.createOrUpdate(
      RG,
      'images',
      'ubuntu',
      {
        location: 'westeurope',
        osType: 'Linux',
        osState: 'Generalized',
        hyperVGeneration: 'V2',
        identifier: { publisher: 'contoso', offer: 'ubuntu', sku: '24' },
      },
      lro,
    );
    const version = await compute.galleryImageVersions.createOrUpdate(
      RG,
      'images',
      'ubuntu',
      '1.0.0',
      {
        location: 'westeurope',
        storageProfile: {
          osDiskImage: {
            source: {
              id: `${azure.resourceGroup(RG).replace(/\/$/, '')}/providers/Microsoft.Compute/disks/os`,
            },
          },
        },
        publishingProfile: { targetRegions: [{ name: 'westeurope' }, { name: 'northeurope' }] },
      },
      lro,
    );
    versionId = version.id!;
    // The subscribers' side: a custom topic for CloudEvents, one subscription to the webhook, one to a queue.
    const eventGrid = eventGridClient(ctx);
    const topic = await eventGrid.topics.beginCreateOrUpdateAndWait(
      RG,
      'image-events',
      { location: 'westeurope', inputSchema: 'CloudEventSchemaV1_0' },
      lro,
    );
    topicEndpoint = topic.endpoint!;
    topicKey = (await eventGrid.topics.listSharedAccessKeys(RG, 'image-events')).key1!;
    await eventGrid.eventSubscriptions.beginCreateOrUpdateAndWait(
      topic.id!,
      'to-webhook',
      {
        destination: { endpointType: 'WebHook', endpointUrl: webhook.url },
        eventDeliverySchema: 'CloudEventSchemaV1_0',
        filter: { includedEventTypes: ['VMImageLifecycle.ImageVersionReady'] },
      },
      lro,
    );
    const account = azure.blob!.accounts[0];
    queue = new QueueClient(
      `${azure.blob!.queueEndpoint!(account.name)}/image-events`,
      new StorageSharedKeyCredential(account.name, account.key),
    );
    await queue.create();
    await eventGrid.eventSubscriptions.beginCreateOrUpdateAndWait(
      topic.id!,
      'to-queue',
      {
        destination: {
          endpointType: 'StorageQueue',
          resourceId: azure.storageAccountId(account.name),
          queueName: 'image-events',
        },
        eventDeliverySchema: 'CloudEventSchemaV1_0',
      },
      lro,
    );
    azure.devops.addPipeline('platform', 42, 'scale-set-rollout');
  });
  after(async () => {
    webhook?.close();
    await azure?.stop();
  });

  async function run(
    inputs: Record<string, string>,
    secrets: string[] = [],
    extraEnv: Record<string, string> = {},
  ): Promise<TaskRun> {
    const result = await runTask('AnnounceImage', {
      inputs: { ConnectedServiceName: CONNECTION_ID, ...inputs },
      env: {
        ...serviceConnectionEnv(azure, 'federated', CONNECTION_ID),
        VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.02',
        SYSTEM_COLLECTIONURI: azure.devops.collectionUri,
        SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: azure.devops.collectionUri,
        SYSTEM_TEAMPROJECT: 'images',
        BUILD_BUILDID: '77',
        BUILD_SOURCEVERSION: 'c0ffee1234',
        ...extraEnv,
      },
    });
    assert.deepEqual(
      leakedSecrets(result, [azure.devops.jobAccessToken, ...secrets]),
      [],
      describeRun(result),
    );
    return result;
  }

  /** A gallery version written through ARM (its write reaches the system topics). */
  const writeVersion = (version: string) =>
    computeClient(localContext(azure)).galleryImageVersions.createOrUpdate(
      RG,
      'images',
      'ubuntu',
      version,
      {
        location: 'westeurope',
        storageProfile: {
          osDiskImage: { source: { id: `${azure.resourceGroup(RG)}/providers/Microsoft.Compute/disks/os` } },
        },
      },
      lro,
    );

  const messages = async () => {
    await azure.eventGrid.settled();
    const got = await queue.receiveMessages({ numberOfMessages: 32 });
    return got.receivedMessageItems.map(
      (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString()) as Record<string, unknown>,
    );
  };

  it('publish: waits for the required regions, sends one rich CloudEvent that reaches a webhook and a queue, and queues the pipelines', async () => {
    const result = await run({
      mode: 'publish',
      imageVersionId: versionId,
      eventGridTopicEndpoint: topicEndpoint,
      requireReplicatedRegions: 'westeurope, North Europe',
      replicationTimeout: '2m',
      pipelines: 'platform/42',
      smokeTestVerdict: 'passed',
      baselineVersion: '2026.11',
    });
    assert.equal(result.result, 'Succeeded', describeRun(result));
    const eventId = result.variables.eventId?.value;
    assert.ok(eventId);
    await azure.eventGrid.settled();
    const delivered = webhook.received.find((e) => e.id === eventId);
    assert.ok(delivered, `the webhook got ${JSON.stringify(webhook.received)}`);
    assert.equal(delivered.type, 'VMImageLifecycle.ImageVersionReady');
    assert.equal(delivered.specversion, '1.0');
    const data = delivered.data as Record<string, unknown>;
    assert.equal(String(data.imageVersionId).toLowerCase(), versionId.toLowerCase());
    assert.equal(data.version, '1.0.0');
    assert.equal(data.commit, 'c0ffee1234');
    assert.equal(data.smokeTest, 'passed');
    assert.equal(data.baselineVersion, '2026.11');
    assert.match(String(data.buildRunUrl), /\/images\/_build\/results\?buildId=77$/);
    assert.deepEqual(
      (data.regions as { region: string; state: string }[]).map((r) => `${r.region} ${r.state}`).sort(),
      ['northeurope Completed', 'westeurope Completed'],
    );
    assert.ok(
      (await messages()).some((m) => m.id === eventId),
      'the queue subscriber got the event',
    );
    assert.equal(azure.devops.runs.length, 1);
    assert.equal(
      azure.devops.runs[0].templateParameters?.imageVersionId.toLowerCase(),
      versionId.toLowerCase(),
    );
    assert.equal(result.variables.pipelineRunIds?.value, '1');
    assert.match(result.summaries[0].content, /Sent `VMImageLifecycle.ImageVersionReady`/);
  });

  it('publish with a topic key instead of the connection’s identity; a wrong key is refused', async () => {
    const ok = await run(
      {
        mode: 'publish',
        imageVersionId: versionId,
        eventGridTopicEndpoint: topicEndpoint,
        topicKey,
        eventType: 'VMImageLifecycle.ImageVersionPromoted',
      },
      [topicKey],
    );
    assert.equal(ok.result, 'Succeeded', describeRun(ok));
    const bad = await run(
      {
        mode: 'publish',
        imageVersionId: versionId,
        eventGridTopicEndpoint: topicEndpoint,
        topicKey: 'bm90LXRoZS1rZXk=',
      },
      ['bm90LXRoZS1rZXk='],
    );
    assert.equal(bad.result, 'Failed');
    assert.match(
      bad.resultMessage ?? '',
      /sending VMImageLifecycle.ImageVersionReady to .* failed: .*not authorized/i,
    );
  });

  it('subscribe: a system topic and a filtered subscription; a re-run changes nothing; a gallery version write reaches the webhook', async () => {
    const inputs = {
      mode: 'subscribe',
      resourceGroupName: RG,
      systemTopicName: 'rg-announce-events',
      galleryName: 'images',
      imageDefinition: 'ubuntu',
      eventSubscriptionName: 'versions-to-webhook',
      destinationType: 'webhook',
      destination: webhook.url,
    };
    const first = await run(inputs);
    assert.equal(first.result, 'Succeeded', describeRun(first));
    assert.match(first.stdout, /Event subscription 'versions-to-webhook' created/);
    assert.match(
      first.variables.eventSubscriptionId.value,
      /systemTopics\/rg-announce-events\/eventSubscriptions\/versions-to-webhook$/,
    );
    const again = await run(inputs);
    assert.match(again.stdout, /already matches the inputs: nothing changed/);
    const changed = await run({ ...inputs, maxDeliveryAttempts: '5' });
    assert.match(changed.stdout, /updated \(retry policy\)/);
    const widened = await run({ ...inputs, maxDeliveryAttempts: '5', imageDefinition: '' });
    assert.match(
      widened.stdout,
      /updated \(filter\)/,
      'every definition of the gallery: a new subject prefix',
    );
    const narrowed = await run({ ...inputs, maxDeliveryAttempts: '5' });
    assert.match(narrowed.stdout, /updated \(filter\)/);
    // A new version is written: ARM's ResourceWriteSuccess goes through the system topic to the webhook.
    const before = webhook.received.length;
    await writeVersion('1.0.1');
    await azure.eventGrid.settled();
    const write = webhook.received
      .slice(before)
      .find((e) => e.eventType === 'Microsoft.Resources.ResourceWriteSuccess');
    assert.ok(write, `the webhook got ${JSON.stringify(webhook.received.slice(before))}`);
    assert.match(String(write.subject), /\/galleries\/images\/images\/ubuntu\/versions\/1\.0\.1$/);
    assert.equal(
      (write.data as { operationName: string }).operationName,
      'Microsoft.Compute/galleries/images/versions/write',
    );
    // Writes of other resources do not match the filter.
    assert.ok(!webhook.received.slice(before).some((e) => /\/disks\//.test(String(e.subject))));
  });

  it('subscribe: a storage queue receives the version events; a Service Bus destination is managed (its delivery is not exercised here)', async () => {
    const account = azure.blob!.accounts[0];
    const versionsQueue = new QueueClient(
      `${azure.blob!.queueEndpoint!(account.name)}/image-versions`,
      new StorageSharedKeyCredential(account.name, account.key),
    );
    await versionsQueue.create();
    const base = {
      mode: 'subscribe',
      resourceGroupName: RG,
      systemTopicName: 'rg-announce-events',
      galleryName: 'images',
    };
    const toQueue = await run({
      ...base,
      eventSubscriptionName: 'versions-to-queue',
      destinationType: 'storageQueue',
      destination: azure.storageAccountId(account.name),
      queueName: 'image-versions',
      deadLetterStorageAccountId: azure.storageAccountId(account.name),
      deadLetterContainer: 'undelivered',
    });
    assert.equal(toQueue.result, 'Succeeded', describeRun(toQueue));
    const stored = azure.arm.store.get(toQueue.variables.eventSubscriptionId.value)!;
    assert.deepEqual(stored.properties.deadLetterDestination, {
      endpointType: 'StorageBlob',
      properties: { resourceId: azure.storageAccountId(account.name), blobContainerName: 'undelivered' },
    });
    const serviceBus = await run({
      ...base,
      eventSubscriptionName: 'versions-to-bus',
      destinationType: 'serviceBusQueue',
      destination: `/subscriptions/${azure.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ServiceBus/namespaces/bus/queues/images`,
    });
    assert.equal(serviceBus.result, 'Succeeded', describeRun(serviceBus));
    const compute = computeClient(localContext(azure));
    await writeVersion('1.0.2');
    await compute.galleryImageVersions.delete(RG, 'images', 'ubuntu', '1.0.2', lro);
    await azure.eventGrid.settled();
    const got = await versionsQueue.receiveMessages({ numberOfMessages: 32 });
    const events = got.receivedMessageItems.map(
      (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString()) as Record<string, unknown>,
    );
    assert.ok(
      ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess'].every(
        (type) => events.some((e) => e.eventType === type && /versions\/1\.0\.2$/.test(String(e.subject))),
      ),
      `the queue got ${JSON.stringify(events)}`,
    );
  });

  it('subscribe: a webhook key in the destination URL never reaches the log, nor the subscription Azure shows', async () => {
    const key = 'hook-key-6f1c2e9a7b';
    const result = await run(
      {
        mode: 'subscribe',
        resourceGroupName: RG,
        systemTopicName: 'rg-announce-events',
        galleryName: 'images',
        eventSubscriptionName: 'versions-keyed',
        destinationType: 'webhook',
        destination: `${webhook.url}?code=${key}`,
      },
      [key],
      // With system.debug task-lib echoes inputs: the URL must be read without that echo.
      { SYSTEM_DEBUG: 'true' },
    );
    assert.equal(result.result, 'Succeeded', describeRun(result));
    const shown = await eventGridClient(localContext(azure)).systemTopicEventSubscriptions.get(
      RG,
      'rg-announce-events',
      'versions-keyed',
    );
    assert.ok(!JSON.stringify(shown).includes(key), 'GET shows endpointBaseUrl only, as Azure does');
  });

  it('the topic endpoint refuses a request without credentials, and a token for another audience', async () => {
    const body = JSON.stringify([
      { specversion: '1.0', id: 'x', source: '/x', type: 'VMImageLifecycle.ImageVersionReady' },
    ]);
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          topicEndpoint,
          {
            method: 'POST',
            ca: azure.caCertPem,
            headers: { 'Content-Type': 'application/cloudevents-batch+json', ...headers },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    assert.equal(await post({}), 401);
    const armToken = await localContext(azure).credential.getToken(`${azure.audience}.default`);
    assert.equal(
      await post({ Authorization: `Bearer ${armToken!.token}` }),
      401,
      'an ARM token is not an Event Grid token',
    );
    const egToken = await localContext(azure).credential.getToken('https://eventgrid.azure.net/.default');
    assert.equal(await post({ Authorization: `Bearer ${egToken!.token}` }), 200);
  });

  describe('bad input: a clear error naming the input, and nothing created', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['unknown mode', { mode: 'shout' }, /Input 'mode': 'shout' is not one of publish, subscribe/],
      [
        'no topic and no pipelines',
        { mode: 'publish', imageVersionId: '$version' },
        /Input 'eventGridTopicEndpoint': is required unless pipelines are given/,
      ],
      [
        'topic endpoint not a URL',
        { mode: 'publish', imageVersionId: '$version', eventGridTopicEndpoint: 'images-topic' },
        /Input 'eventGridTopicEndpoint': 'images-topic' is not an https URL/,
      ],
      [
        'malformed pipeline line',
        { mode: 'publish', imageVersionId: '$version', pipelines: 'platform/abc' },
        /Input 'pipelines': line 1 'platform\/abc' is not 'project\/pipelineId'/,
      ],
      [
        'unknown pipeline',
        { mode: 'publish', imageVersionId: '$version', pipelines: 'platform/999' },
        /Input 'pipelines': pipeline platform\/999 was not found/,
      ],
      [
        'not replicated to a required region (timeout)',
        {
          mode: 'publish',
          imageVersionId: '$version',
          eventGridTopicEndpoint: '$topic',
          requireReplicatedRegions: 'eastus',
          replicationTimeout: '1s',
        },
        /eastus/,
      ],
      [
        'unknown destination type',
        {
          mode: 'subscribe',
          resourceGroupName: RG,
          systemTopicName: 'st-bad',
          galleryName: 'images',
          eventSubscriptionName: 'bad',
          destinationType: 'carrierPigeon',
          destination: 'x',
        },
        /Input 'destinationType': 'carrierPigeon' is not one of/,
      ],
      [
        'webhook not https',
        {
          mode: 'subscribe',
          resourceGroupName: RG,
          systemTopicName: 'st-bad',
          galleryName: 'images',
          eventSubscriptionName: 'bad',
          destinationType: 'webhook',
          destination: 'http://example.invalid/hook',
        },
        /Input 'destination': 'http:\/\/example.invalid\/hook' is not an https URL/,
      ],
      [
        'illegal queue name',
        {
          mode: 'subscribe',
          resourceGroupName: RG,
          systemTopicName: 'st-bad',
          galleryName: 'images',
          eventSubscriptionName: 'bad',
          destinationType: 'storageQueue',
          destination: '$account',
          queueName: 'Image_Events',
        },
        /Input 'queueName': 'Image_Events' is not a storage queue name/,
      ],
      [
        'a filter that would match nothing',
        {
          mode: 'subscribe',
          resourceGroupName: RG,
          systemTopicName: 'st-bad',
          galleryName: 'images',
          galleryResourceGroupName: 'rg-elsewhere',
          eventSubscriptionName: 'bad',
          destinationType: 'webhook',
          destination: 'https://127.0.0.1:1/x',
        },
        /Input 'galleryResourceGroupName': the system topic listens to resource group 'rg-announce' only/,
      ],
    ];
    for (const [what, inputs, message] of cases) {
      it(what, async () => {
        const resolved = Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [
            k,
            v === '$version'
              ? versionId
              : v === '$topic'
                ? topicEndpoint
                : v === '$account'
                  ? azure.storageAccountId(azure.blob!.accounts[0].name)
                  : v,
          ]),
        );
        const before = azure.audit().length;
        const runsBefore = azure.devops.runs.length;
        await azure.eventGrid.settled(); // deliveries of earlier tests end first
        const deliveriesBefore = azure.eventGrid.deliveries.length;
        const result = await run(resolved);
        assert.equal(result.result, 'Failed', describeRun(result));
        assert.match(result.resultMessage ?? '', message);
        assert.equal(azure.audit().length, before, 'nothing was created');
        assert.equal(azure.devops.runs.length, runsBefore, 'no pipeline was queued');
        await azure.eventGrid.settled();
        assert.equal(azure.eventGrid.deliveries.length, deliveriesBefore, 'no event was sent');
      });
    }
  });
});
