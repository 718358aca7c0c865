import { readEnum } from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { MODE_ADAPTERS, MODES } from './modes';

void runTask('AnnounceImage', async (run) => {
  const mode = readEnum('mode', MODES, 'publish');
  await MODE_ADAPTERS[mode](run);
});
