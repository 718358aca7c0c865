import type { AnnounceRequest, AnnounceResult } from '../../shared/events/announce';
import type { SubscribeRequest, SubscribeResult } from '../../shared/events/subscribe';
import { code, markdownEscape, markdownTable } from '../../shared/pipeline/markdown';

export function announceSummary(request: AnnounceRequest, result: AnnounceResult): string {
  const data = result.event?.data;
  return [
    `## Image version announced`,
    '',
    result.eventId
      ? `Sent ${code(request.eventType)} ${code(result.eventId)} to ${code(new URL(request.topicEndpoint!).host)}.`
      : 'No Event Grid topic was given: no event sent.',
    '',
    markdownTable(
      ['region', 'replication', 'in latest'],
      result.regions.map((r) => [code(r.region), r.state, r.excludeFromLatest ? 'no' : 'yes']),
    ),
    '',
    data
      ? `Payload: version ${code(data.version)} of ${code(data.imageDefinition)}${data.sourceImage ? `, source ${code(data.sourceImage)}` : ''}${data.commit ? `, commit ${code(data.commit)}` : ''}${data.smokeTest ? `, smoke test ${markdownEscape(data.smokeTest)}` : ''}.`
      : '',
    '',
    result.runs.length
      ? markdownTable(
          ['pipeline', 'run'],
          result.runs.map((r) => [
            code(`${r.project}/${r.pipelineId}`),
            r.url ? `[${r.runId}](${r.url})` : String(r.runId),
          ]),
        )
      : 'No pipelines queued.',
    '',
  ].join('\n');
}

export function subscribeSummary(request: SubscribeRequest, result: SubscribeResult): string {
  return [
    `## Event subscription ${markdownEscape(request.eventSubscription)}`,
    '',
    markdownTable(
      ['resource', 'action', 'id'],
      [
        ['system topic', result.systemTopicAction, code(result.systemTopicId)],
        [
          'event subscription',
          result.action +
            (result.action === 'updated' ? ` (${markdownEscape(result.changes.join(', '))})` : ''),
          code(result.eventSubscriptionId),
        ],
      ],
    ),
    '',
    `Writes and deletes of image versions in gallery ${code(request.gallery.name)}${request.gallery.imageDefinition ? ` / ${code(request.gallery.imageDefinition)}` : ''} go to the ${request.destination.type}${request.destination.type === 'webhook' ? '' : ` ${code(request.destination.endpoint)}`}.`,
    '',
  ].join('\n');
}
