import { randomUUID } from 'node:crypto';
import { AzureKeyCredential, EventGridPublisherClient, type CloudEvent } from '@azure/eventgrid';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import { formatResourceId, type ResourceId } from '../azure/resourceId';
import { readReplication, waitForReplication, type RegionReplication } from '../gallery/version/replication';
import type { GalleryVersionRef } from '../gallery/version/ref';
import { InputError } from '../validation/inputError';
import type { ImageEventType } from './eventTypes';
import { checkPipelines, queuePipelines, type DownstreamPipeline, type QueuedRun } from './pipelines';

export interface AnnounceRequest {
  version: ResourceId;
  eventType: ImageEventType;
  /** The custom topic's endpoint; undefined: no event, only pipelines. */
  topicEndpoint?: string;
  /** A topic access key, when the topic is not reached with the connection's Entra identity. */
  topicKey?: string;
  requireReplicatedRegions: string[];
  /** How long to wait for those regions; 0 checks once. */
  replicationTimeoutMs: number;
  pipelines: DownstreamPipeline[];
  /** Facts of the run carried in the event: build run URL, commit, smoke-test verdict, baseline version. */
  context: { buildRunUrl?: string; commit?: string; smokeTest?: string; baselineVersion?: string };
}

/** The announce request, checked once (errors name the input); announceImageVersion trusts it. */
export function announceRequest(request: AnnounceRequest): AnnounceRequest {
  if (request.topicEndpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(request.topicEndpoint);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== 'https:')
      throw new InputError(
        'eventGridTopicEndpoint',
        `'${request.topicEndpoint}' is not an https URL of an Event Grid topic (https://<topic>.<region>-1.eventgrid.azure.net/api/events)`,
      );
  }
  if (request.topicEndpoint === undefined && request.pipelines.length === 0)
    throw new InputError(
      'eventGridTopicEndpoint',
      'is required unless pipelines are given: there is nobody to tell',
    );
  return request;
}

export interface AnnounceResult {
  eventId?: string;
  event?: CloudEvent<ImageVersionEventData>;
  regions: RegionReplication[];
  runs: QueuedRun[];
}

/** What a subscriber learns without calling Azure back (Azure's own resource events carry only the id). */
export interface ImageVersionEventData {
  imageVersionId: string;
  version: string;
  gallery: string;
  imageDefinition: string;
  imageDefinitionId: string;
  regions: { region: string; state: string; excludeFromLatest: boolean }[];
  sourceImage?: string;
  buildRunUrl?: string;
  commit?: string;
  smokeTest?: string;
  baselineVersion?: string;
}

function refOf(id: ResourceId): GalleryVersionRef {
  return { resourceGroup: id.resourceGroup!, gallery: id.names[0], image: id.names[1], version: id.names[2] };
}

/**
 * Tells subscribers that an image version is ready: first its required regions must be replicated (waiting up
 * to the timeout), then one CloudEvents 1.0 event with a rich payload goes to the Event Grid topic, authenticated
 * with the service connection (or a topic key when given), then the downstream pipelines are queued.
 */
export async function announceImageVersion(
  ctx: AzureContext,
  request: AnnounceRequest,
  options: {
    devOps?: { collectionUri: string; accessToken: string };
    onProgress?: (percent: number) => void;
  } = {},
): Promise<AnnounceResult> {
  const ref = refOf(request.version);
  if (options.devOps)
    await step('checking the downstream pipelines', () => checkPipelines(options.devOps!, request.pipelines));
  const state =
    request.requireReplicatedRegions.length && request.replicationTimeoutMs > 0
      ? await waitForReplication(ctx, ref, {
          regions: request.requireReplicatedRegions,
          timeoutMs: request.replicationTimeoutMs,
          onProgress: (p) => options.onProgress?.(p),
        })
      : await readReplication(ctx, ref);
  const missing = request.requireReplicatedRegions.filter(
    (r) => state.regions.find((x) => x.region === r)?.state !== 'Completed',
  );
  if (missing.length)
    throw new InputError(
      'requireReplicatedRegions',
      `version ${ref.version} is not replicated to ${missing.map((r) => `${r} (${state.regions.find((x) => x.region === r)?.state ?? 'not a target region'})`).join(', ')}`,
    );
  const versionId = state.version.id ?? formatResourceId(request.version);
  const definitionId = versionId.replace(/\/versions\/[^/]+$/i, '');
  const storage = state.version.storageProfile;
  const data: ImageVersionEventData = {
    imageVersionId: versionId,
    version: ref.version,
    gallery: ref.gallery,
    imageDefinition: ref.image,
    imageDefinitionId: definitionId,
    regions: state.regions.map((r) => ({
      region: r.region,
      state: r.state,
      excludeFromLatest: r.excludeFromLatest === true,
    })),
    sourceImage: storage?.source?.id ?? storage?.source?.virtualMachineId ?? storage?.osDiskImage?.source?.id,
    ...Object.fromEntries(Object.entries(request.context).filter(([, v]) => v !== undefined && v !== '')),
  };
  let event: CloudEvent<ImageVersionEventData> | undefined;
  if (request.topicEndpoint) {
    const sending: CloudEvent<ImageVersionEventData> = {
      id: randomUUID(),
      type: request.eventType,
      source: definitionId,
      subject: versionId,
      time: new Date(),
      datacontenttype: 'application/json',
      data,
    };
    const credential = request.topicKey ? new AzureKeyCredential(request.topicKey) : ctx.credential;
    const client = new EventGridPublisherClient(request.topicEndpoint, 'CloudEvent', credential, {
      userAgentOptions: { userAgentPrefix: ctx.userAgentPrefix },
      tlsOptions: ctx.trustedCaPem ? { ca: ctx.trustedCaPem } : undefined,
    });
    event = sending;
    await step(
      `sending ${request.eventType} to ${new URL(request.topicEndpoint).host}`,
      () => client.send([sending], { abortSignal: ctx.abortSignal }),
      ctx.abortSignal,
    );
    ctx.logger.info(`Sent ${request.eventType} ${sending.id} for ${versionId}`);
  }
  const runs =
    request.pipelines.length && options.devOps
      ? await step('queuing downstream pipelines', () =>
          queuePipelines(options.devOps!, request.pipelines, { imageVersionId: versionId }),
        )
      : [];
  return { eventId: event?.id, event, regions: state.regions, runs };
}
