import { readEnum, readResourceId } from '../../shared/pipeline/inputs';
import { notAvailableYet } from '../../shared/pipeline/notAvailableYet';
import { runTask } from '../../shared/pipeline/runTask';
import { CONVERSION_ADAPTERS, CONVERSIONS } from './conversions';

void runTask('ConvertDisk', async (run) => {
  const conversion = readEnum('conversion', CONVERSIONS, 'vhdToDisk');
  const adapter = CONVERSION_ADAPTERS[conversion];
  if (adapter) return adapter(run);
  readResourceId('sourceId');
  notAvailableYet(`ConvertDisk (${conversion})`);
});
