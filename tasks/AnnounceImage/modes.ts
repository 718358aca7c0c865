// One adapter per mode: read that mode's inputs into one checked request, make one library call, write outputs
// and the summary. Every agent fact comes through the run context.
import { announceImageVersion, announceRequest } from '../../shared/events/announce';
import { EVENT_TYPES } from '../../shared/events/eventTypes';
import { parsePipelines } from '../../shared/events/pipelines';
import { DESTINATION_TYPES, ensureImageSubscription, subscribeRequest } from '../../shared/events/subscribe';
import { normalizeRegion } from '../../shared/azure/regions';
import { InputError } from '../../shared/validation/inputError';
import {
  readDuration,
  readEnum,
  readInt,
  readLines,
  readList,
  readResourceId,
  readSecret,
  readString,
} from '../../shared/pipeline/inputs';
import type { TaskRunContext } from '../../shared/pipeline/runTask';
import { announceSummary, subscribeSummary } from './summary';

export const MODES = ['publish', 'subscribe'] as const;
export type Mode = (typeof MODES)[number];

async function publish(run: TaskRunContext): Promise<void> {
  const devOps = run.devOps();
  const request = announceRequest({
    version: readResourceId('imageVersionId', {
      required: true,
      expectedType: 'Microsoft.Compute/galleries/images/versions',
    }),
    eventType: readEnum('eventType', EVENT_TYPES, 'VMImageLifecycle.ImageVersionReady'),
    topicEndpoint: readString('eventGridTopicEndpoint'),
    topicKey: readSecret('topicKey'),
    requireReplicatedRegions: readList('requireReplicatedRegions').map((r) =>
      normalizeRegion('requireReplicatedRegions', r),
    ),
    replicationTimeoutMs:
      readDuration('replicationTimeout', { defaultSeconds: 0, maxSeconds: 24 * 3600 }) * 1000,
    pipelines: parsePipelines('pipelines', readLines('pipelines')),
    context: {
      buildRunUrl: devOps.buildRunUrl,
      commit: devOps.commit,
      smokeTest: readString('smokeTestVerdict'),
      baselineVersion: readString('baselineVersion'),
    },
  });
  if (request.pipelines.length && !devOps.accessToken)
    throw new InputError(
      'pipelines',
      'queuing pipelines needs the job access token: allow scripts to access the OAuth token',
    );
  const progress = run.progress('Waiting for replication', 0);
  const result = await announceImageVersion(await run.connect(), request, {
    devOps: devOps.accessToken
      ? { collectionUri: devOps.collectionUri, accessToken: devOps.accessToken }
      : undefined,
    onProgress: progress,
  });
  for (const r of result.runs) console.log(`Queued ${r.project}/${r.pipelineId}: run ${r.runId} ${r.url}`);
  if (result.eventId) run.output('eventId', result.eventId);
  run.output('pipelineRunIds', result.runs.map((r) => r.runId).join(','));
  run.summary(announceSummary(request, result));
}

async function subscribe(run: TaskRunContext): Promise<void> {
  const ctx = await run.connect();
  const resourceGroup = readString('resourceGroupName', { required: true });
  const ttl = readDuration('eventTimeToLive', { defaultSeconds: 24 * 3600, maxSeconds: 24 * 3600 });
  if (ttl < 60)
    throw new InputError(
      'eventTimeToLive',
      'must be between 1 minute and 1 day (Event Grid retries an event for at most 24 hours)',
    );
  const deadLetterAccount = readString('deadLetterStorageAccountId');
  const request = subscribeRequest({
    subscriptionId: ctx.subscriptionId,
    resourceGroup,
    systemTopic: readString('systemTopicName', { required: true }),
    scope: readEnum('topicScope', ['resourceGroup', 'subscription'] as const, 'resourceGroup'),
    gallery: {
      resourceGroup: readString('galleryResourceGroupName') ?? resourceGroup,
      name: readString('galleryName', { required: true }),
      imageDefinition: readString('imageDefinition'),
    },
    eventSubscription: readString('eventSubscriptionName', { required: true }),
    destination: {
      type: readEnum('destinationType', DESTINATION_TYPES, 'webhook'),
      // A webhook URL may carry a key in its query: read without the debug echo, the query masked.
      endpoint: readSecret('destination', { required: true, mask: 'query' }),
      queueName: readString('queueName'),
    },
    deadLetter: deadLetterAccount
      ? {
          storageAccountId: deadLetterAccount,
          container: readString('deadLetterContainer', { required: true }),
        }
      : undefined,
    maxDeliveryAttempts: readInt('maxDeliveryAttempts', { min: 1, max: 30, default: 30 }),
    eventTimeToLiveMinutes: Math.round(ttl / 60),
  });
  const result = await ensureImageSubscription(ctx, request);
  console.log(
    result.action === 'unchanged'
      ? `Event subscription '${request.eventSubscription}' already matches the inputs: nothing changed`
      : `Event subscription '${request.eventSubscription}' ${result.action}${result.action === 'updated' ? ` (${result.changes.join(', ')})` : ''}`,
  );
  run.output('systemTopicId', result.systemTopicId);
  run.output('eventSubscriptionId', result.eventSubscriptionId);
  run.summary(subscribeSummary(request, result));
}

export const MODE_ADAPTERS: Record<Mode, (run: TaskRunContext) => Promise<void>> = { publish, subscribe };
