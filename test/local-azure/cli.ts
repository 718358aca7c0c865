// npm run local-azure: the local Azure in the foreground, for running bundled tasks by hand against it.
import { startLocalAzure } from './index';
import { serviceConnectionEnv } from '../harness/connections';

async function main(): Promise<void> {
  const azure = await startLocalAzure({ persistence: 'memory', operationDelayMs: 500 });
  azure.resourceGroup('rg-images');
  const env = serviceConnectionEnv(azure, 'secret', 'local');
  const lines = [
    'Local Azure is running (Ctrl-C stops it and everything it started).',
    '',
    `  ARM             ${azure.armUrl}`,
    `  Entra ID        ${azure.authorityHost}`,
    `  IMDS            ${azure.imdsUrl}`,
    `  DevOps OIDC     ${azure.oidcRequestUri}`,
    `  Blob (Azurite)  ${azure.blob?.blobEndpoint('devstoreaccount1')}  and  ${azure.blob?.blobEndpoint('imagestore2')}`,
    `  Subscription    ${azure.subscriptionId}   resource group rg-images exists`,
    '',
    'Run any bundled task against it with this environment (service connection id "local", secret scheme):',
    '',
    ...Object.entries(env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`),
    `export AZURE_STORAGE_CONNECTION_STRING='${azure.blob?.connectionString('devstoreaccount1') ?? ''}'`,
    'export AGENT_TEMPDIRECTORY=$(mktemp -d)',
    '',
    'For example:',
    '  INPUT_CONNECTEDSERVICENAME=local INPUT_RESOURCEGROUPNAME=rg-images INPUT_LOCATION=westeurope \\',
    '  INPUT_GALLERYNAME=corp_images INPUT_IMAGEDEFINITION=ubuntu INPUT_OSTYPE=Linux \\',
    '  INPUT_PUBLISHER=contoso INPUT_OFFER=ubuntu INPUT_SKU=24_04 node tasks/ShareToGallery/index.js',
  ];
  console.log(lines.join('\n'));
  const stop = async () => {
    console.log('\nStopping local Azure...');
    await azure.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

void main();
