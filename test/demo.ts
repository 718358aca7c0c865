// npm run demo: the main job end to end against the local Azure, as a pipeline would run it.
import { startLocalAzure } from './local-azure/index';
import { describeRun, runTask } from './harness/runTask';

async function main(): Promise<void> {
  console.log('Starting the local Azure (ARM, Entra ID, Azure DevOps OIDC, Azurite)...');
  const azure = await startLocalAzure({ blob: false, operationDelayMs: 200 });
  let failed = false;
  try {
    azure.resourceGroup('rg-images');
    const inputs = {
      ConnectedServiceName: 'demo',
      resourceGroupName: 'rg-images',
      location: 'westeurope',
      galleryName: 'corp_images',
      galleryDescription: 'Hardened images of the platform team',
      imageDefinition: 'ubuntu-24-04-hardened',
      osType: 'Linux',
      osState: 'Generalized',
      hyperVGeneration: 'V2',
      architecture: 'x64',
      securityType: 'TrustedLaunchSupported',
      publisher: 'contoso',
      offer: 'ubuntu-hardened',
      sku: '24_04-lts',
      tags: 'team=platform',
    };
    const env = {
      ...azure.serviceConnectionEnv('federated', 'demo'),
      VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.1',
    };
    for (const [label, run] of [
      ['First run (workload identity federation): creates the gallery and definition', inputs],
      ['Second run with the same inputs: changes nothing', inputs],
    ] as const) {
      console.log(`\n=== ShareToGallery — ${label}`);
      const result = await runTask('ShareToGallery', { inputs: run, env });
      for (const line of result.stdout.split('\n')) {
        if (line && !line.startsWith('##vso[')) console.log(`  ${line}`);
      }
      if (result.result !== 'Succeeded') {
        failed = true;
        console.error(describeRun(result));
        break;
      }
      console.log(
        `  -> result ${result.result}; outputs: ${Object.entries(result.variables)
          .map(([k, v]) => `${k}=${v.value}`)
          .join(', ')}`,
      );
      if (result.summaries[0])
        console.log(
          `\n  Summary attached to the run:\n${result.summaries[0].content.replace(/^/gm, '    ')}`,
        );
    }
    console.log('\nResources in the local Azure now:');
    for (const r of azure.audit())
      console.log(`  ${r.type.padEnd(36)} ${r.provisioningState ?? ''}  ${r.id}`);
  } finally {
    await azure.stop();
  }
  if (failed) process.exit(1);
}

void main();
