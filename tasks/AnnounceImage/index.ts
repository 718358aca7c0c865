import { readLines, readList, readResourceId, readString } from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { notAvailableYet } from '../../shared/pipeline/notAvailableYet';

void runTask('AnnounceImage', async (run) => {
  readResourceId('imageVersionId', {
    required: true,
    expectedType: 'Microsoft.Compute/galleries/images/versions',
  });
  readString('eventGridTopicEndpoint');
  readString('eventType', { default: 'VMImageLifecycle.ImageVersionReady' });
  readLines('pipelines');
  readList('requireReplicatedRegions');
  await run.connect();
  notAvailableYet('AnnounceImage');
});
