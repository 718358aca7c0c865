import { readEnum } from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { COPY_ADAPTERS, COPY_TYPES } from './copies';

void runTask('CopyImage', async (run) => {
  const copyType = readEnum('copyType', COPY_TYPES, 'image');
  await COPY_ADAPTERS[copyType](run);
});
