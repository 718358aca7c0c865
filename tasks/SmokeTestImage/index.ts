import * as fs from 'node:fs';
import * as path from 'node:path';
import { withDeadline } from '../../shared/azure/deadline';
import { junitXml } from '../../shared/smoke/junit';
import { runSmokeTest, smokeTestRequest } from '../../shared/smoke/smokeTest';
import { parseCheckSpec } from '../../shared/smoke/spec';
import {
  readBoolean,
  readDuration,
  readPath,
  readRegion,
  readResourceId,
  readString,
} from '../../shared/pipeline/inputs';
import { runTask } from '../../shared/pipeline/runTask';
import { smokeSummaryMarkdown } from './summary';

void runTask('SmokeTestImage', async (run) => {
  const image = readResourceId('imageId', { required: true });
  const checksPath = readPath('checksPath', { required: true, mustExist: true })!;
  const request = smokeTestRequest({
    image,
    spec: parseCheckSpec('checksPath', path.basename(checksPath), fs.readFileSync(checksPath, 'utf8')),
    outputContainerUrl: readString('outputContainerUrl', { required: true }),
    resourceGroup: readString('resourceGroupName', { required: true }),
    location: readRegion('location'),
    vmSize: readString('vmSize', { default: 'Standard_D2s_v5' })!,
    subnetId: readResourceId('subnetId'),
    timeoutSeconds: readDuration('timeout', { defaultSeconds: 45 * 60 }),
    agentTimeoutSeconds: readDuration('agentTimeout', { defaultSeconds: 15 * 60, maxSeconds: 3600 }),
    keepVmOnFailure: readBoolean('keepVmOnFailure'),
  });
  // The whole run (boot, agent, checks, teardown) may take the checks' time plus the agent's, and a margin.
  const { ctx, expired } = withDeadline(
    await run.connect(),
    request.timeoutSeconds + request.agentTimeoutSeconds + 15 * 60,
  );
  const progress = run.progress('Smoke test');
  const result = await runSmokeTest(ctx, request, {
    cleanup: run.cleanup,
    onSecret: run.secret,
    onStage: (stage, percent) => progress(percent, stage),
  }).catch((e: unknown) => {
    throw expired(e);
  });
  const file = path.join(run.tempDirectory, `smoke-test-${result.vmName}.xml`);
  fs.writeFileSync(
    file,
    junitXml('SmokeTestImage', result.results, {
      image: result.image.id,
      vmSize: result.vmSize,
      location: result.location,
    }),
  );
  run.publishTestResults(file, `Smoke test of ${result.image.id.split('/').slice(-3).join('/')}`);
  run.output('testResultsPath', file);
  run.output('passed', String(result.passed));
  run.summary(smokeSummaryMarkdown(result));
  for (const kept of result.kept)
    run.logger.warn(`Kept for debugging (keepVmOnFailure), delete it when done: ${kept}`);
  if (!result.passed) {
    const failed = result.results
      .filter((r) => r.status !== 'pass')
      .map((r) => `${r.check.name} (${r.status}: ${r.actual})`);
    throw new Error(
      [...result.problems, ...(failed.length ? [`failed checks: ${failed.join('; ')}`] : [])].join('; ') ||
        'the smoke test failed',
    );
  }
});
