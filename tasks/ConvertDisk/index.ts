import { readEnum } from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { CONVERSION_ADAPTERS, CONVERSIONS } from './conversions';

void runTask('ConvertDisk', async (run) => {
  const conversion = readEnum('conversion', CONVERSIONS, 'vhdToDisk');
  await CONVERSION_ADAPTERS[conversion](run);
});
