import {
  readBoolean,
  readDuration,
  readPath,
  readRegion,
  readResourceId,
  readString,
} from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { notAvailableYet } from '../../shared/pipeline/notAvailableYet';

void runTask('SmokeTestImage', async (run) => {
  readResourceId('imageId', { required: true });
  readPath('checksPath', { required: true, mustExist: true });
  readString('resourceGroupName', { required: true });
  readRegion('location');
  readString('vmSize', { default: 'Standard_D2s_v5' });
  readResourceId('subnetId', { expectedType: 'Microsoft.Network/virtualNetworks/subnets' });
  readDuration('timeout', { defaultSeconds: 45 * 60 });
  readBoolean('keepVmOnFailure');
  await run.connect();
  notAvailableYet('SmokeTestImage');
});
