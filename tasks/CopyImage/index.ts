import {
  readBoolean,
  readDuration,
  readRegion,
  readResourceId,
  readString,
} from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { notAvailableYet } from '../../shared/pipeline/notAvailableYet';

void runTask('CopyImage', async (run) => {
  readResourceId('sourceImageId', { required: true });
  readString('targetSubscriptionId');
  readString('targetResourceGroupName', { required: true });
  readRegion('targetLocation');
  readString('targetImageName');
  readBoolean('overwrite');
  readDuration('timeout', { defaultSeconds: 3 * 3600 });
  await run.connect();
  notAvailableYet('CopyImage');
});
