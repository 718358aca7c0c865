import { readDuration, readEnum, readLines, readRegion, readString } from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { notAvailableYet } from '../../shared/pipeline/notAvailableYet';

void runTask('BuildImage', async (run) => {
  const builder = readEnum('builder', ['ImageBuilder', 'Packer'], 'ImageBuilder');
  readString('resourceGroupName', { required: true });
  readRegion('location', { required: true });
  readString('sourceImage', { required: true });
  readString('templatePath', { required: builder === 'Packer' });
  readLines('customizationScripts');
  readString('targetImageVersionId');
  readDuration('timeout', { defaultSeconds: 7200, maxSeconds: 16 * 3600 });
  readString('vmSize', { default: 'Standard_D2s_v5' });
  await run.connect();
  notAvailableYet('BuildImage');
});
