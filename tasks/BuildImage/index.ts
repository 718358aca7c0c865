import { readEnum } from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { buildWithImageBuilder } from './imageBuilder';
import { buildWithPacker } from './packer';

void runTask('BuildImage', async (run) => {
  const builder = readEnum('builder', ['ImageBuilder', 'Packer'], 'ImageBuilder');
  run.output('builder', builder);
  if (builder === 'ImageBuilder') await buildWithImageBuilder(run);
  else await buildWithPacker(run);
});
