import { readEnum } from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { MODE_ADAPTERS, MODES } from './modes';

void runTask('ShareToGallery', async (run) => {
  const mode = readEnum('mode', MODES, 'ensureDefinition');
  await MODE_ADAPTERS[mode](run);
});
