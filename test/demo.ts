// npm run demo: the main job end to end against the local Azure, as a pipeline would run it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalAzure, type LocalAzure } from './local-azure/index';
import { describeRun, runTask, type TaskRun } from './harness/runTask';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { armClientOptions, eventGridClient } from '../shared/azure/clients';
import { localContext, serviceConnectionEnv } from './harness/connections';
import { startWebhook } from './harness/webhook';
import { spawnSync } from 'node:child_process';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { hostKernel } from './local-azure/vm/localVm';
import { busyboxPath, makeTestImage, WEB_SERVER_IMAGE } from './harness/testImage';

/** A 64 MiB raw disk image with a little data scattered in it, as an image build leaves on the agent. */
function makeRawImage(file: string): void {
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, 64 * 1024 * 1024 - 24 * 512); // whole sectors, not a whole number of MiB: ConvertDisk rounds it up
  for (const mib of [0, 1, 9, 33, 60])
    fs.writeSync(
      fd,
      Buffer.alloc(256 * 1024, `VM Image Lifecycle ${mib} `),
      0,
      256 * 1024,
      mib * 1024 * 1024,
    );
  fs.closeSync(fd);
}

/** Whether this machine can run the local VM, and if not, what to install. */
function localVmTools(): { ok: boolean; why?: string } {
  const missing = [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['mke2fs', 'e2fsprogs'],
  ].filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (!busyboxPath()) missing.push(['busybox', 'busybox-static']);
  if (!hostKernel()) missing.push(['a kernel in /boot', 'linux-image-amd64']);
  return missing.length
    ? {
        ok: false,
        why: `the local VM needs ${missing.map(([t, p]) => `${t} (apt-get install ${p})`).join(', ')}`,
      }
    : { ok: true };
}

function show(label: string, run: TaskRun): void {
  console.log(`\n=== ${label}`);
  for (const line of run.stdout.split('\n')) if (line && !line.startsWith('##vso[')) console.log(`  ${line}`);
  console.log(
    `  -> ${run.result}; outputs: ${Object.entries(run.variables)
      .map(([k, v]) => `${k}=${v.value}`)
      .join(', ')}`,
  );
  for (const summary of run.summaries)
    console.log(`\n  Summary attached to the run:\n${summary.content.replace(/^/gm, '    ')}`);
  if (run.result !== 'Succeeded') throw new Error(describeRun(run));
}

async function main(): Promise<void> {
  console.log('Starting the local Azure (ARM, Entra ID, Azure DevOps OIDC, IMDS, Azurite)...');
  const azure: LocalAzure = await startLocalAzure({
    operationDelayMs: 200,
    replicationRegionMs: 700,
    blobOAuth: true,
  });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vm-image-demo-'));
  try {
    azure.resourceGroup('rg-images');
    const env = {
      ...serviceConnectionEnv(azure, 'federated', 'demo'),
      VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.4',
    };
    const account = azure.blob!.accounts[0];
    const blobs = new BlobServiceClient(
      azure.blob!.blobEndpoint(account.name),
      new StorageSharedKeyCredential(account.name, account.key),
      azure.blob!.clientOptions,
    );
    for (const c of ['build-scripts', 'vhds', 'smoke-output']) await blobs.getContainerClient(c).create();
    const blobUrl = (container: string, name = '') =>
      `${azure.blob!.blobEndpoint(account.name)}/${container}${name ? `/${name}` : ''}`;
    // The build runs for real when this machine can run the local VM (QEMU, a kernel, busybox-static): Image
    // Builder boots the Marketplace image, runs the steps and the baseline in it. Otherwise the demo starts from a
    // raw image on the agent, and says why.
    const vmTools = localVmTools();
    // The OS disk every path below makes, whatever it is made from.
    const osDisk = {
      resourceGroupName: 'rg-images',
      location: 'westeurope',
      targetName: 'ubuntu-24-04-osdisk',
      osType: 'Linux',
      hyperVGeneration: 'V2',
      sku: 'StandardSSD_LRS',
    };
    if (vmTools.ok) {
      await azure.platformImages.add({
        publisher: 'LocalLinux',
        offer: 'ubuntu-web',
        sku: '24_04',
        version: '1.0.0',
        rawFile: makeTestImage(work, 'marketplace-base', WEB_SERVER_IMAGE).raw,
      });
      // What a platform team sets up once: the identity Image Builder acts as.
      const ctx = localContext(azure);
      const options = armClientOptions(ctx);
      const identity = await new ManagedServiceIdentityClient(ctx.credential, azure.subscriptionId, {
        ...options,
        credentialScopes: options.credentials.scopes,
      }).userAssignedIdentities.createOrUpdate('rg-images', 'image-builder', { location: 'westeurope' });
      const script = path.join(work, 'install-app.sh');
      fs.writeFileSync(
        script,
        '#!/bin/sh\nset -e\nmkdir -p /etc/app\necho "app 2.4.0" > /etc/app/version\necho "Authorized use only. Built by BuildImage." > /etc/motd\necho "app installed"\n',
      );
      const build = await runTask('BuildImage', {
        inputs: {
          ConnectedServiceName: 'demo',
          builder: 'ImageBuilder',
          resourceGroupName: 'rg-images',
          location: 'westeurope',
          sourceImage: 'LocalLinux:ubuntu-web:24_04:latest',
          customizationScripts: script,
          baseline: 'true',
          identityId: identity.id!,
          stagingContainerUrl: blobUrl('build-scripts'),
          targetManagedImageId: `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/images/ubuntu-24-04-built`,
          targetVhdUrl: blobUrl('vhds', 'ubuntu-24-04-built.vhd'),
          vmSize: 'Standard_D2s_v5',
          timeout: '30m',
        },
        env,
      });
      show(
        'BuildImage (Image Builder): Marketplace image booted, install-app.sh and the hardening baseline run in it, distributed as a managed image and a VHD',
        build,
      );
      show(
        'ConvertDisk: the built VHD blob -> managed disk (Azure reads the blob itself)',
        await runTask('ConvertDisk', {
          inputs: {
            ConnectedServiceName: 'demo',
            conversion: 'blobToDisk',
            // A short read SAS, as `az storage blob generate-sas` gives: the task checks the VHD before Azure imports it.
            blobUrl: `${build.variables.vhdUri.value}?${generateBlobSASQueryParameters(
              {
                containerName: 'vhds',
                blobName: 'ubuntu-24-04-built.vhd',
                permissions: BlobSASPermissions.parse('r'),
                expiresOn: new Date(Date.now() + 3600_000),
              },
              new StorageSharedKeyCredential(account.name, account.key),
            ).toString()}`,
            storageAccountId: azure.storageAccountId(account.name),
            ...osDisk,
          },
          env,
        }),
      );
    } else {
      console.log(`\n=== BuildImage skipped: ${vmTools.why}; starting from a raw image on the agent`);
      const image = path.join(work, 'ubuntu-hardened.raw');
      makeRawImage(image);
      show(
        'ConvertDisk (workload identity federation): raw image on the agent -> fixed VHD -> managed disk',
        await runTask('ConvertDisk', {
          inputs: {
            ConnectedServiceName: 'demo',
            conversion: 'vhdToDisk',
            vhdPath: image,
            ...osDisk,
          },
          env,
        }),
      );
    }
    const gallery = {
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
    const disk = await runTask('ConvertDisk', {
      inputs: {
        ConnectedServiceName: 'demo',
        conversion: 'diskToSnapshot',
        sourceId: `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/disks/ubuntu-24-04-osdisk`,
        resourceGroupName: 'rg-images',
        targetName: 'ubuntu-24-04-snap',
      },
      env,
    });
    show('ConvertDisk: managed disk -> incremental snapshot', disk);
    const publish = {
      ...gallery,
      mode: 'publish',
      source: disk.variables.resourceId?.value ?? '',
      versionStrategy: 'nextPatch',
      versionMajorMinor: '1.4',
      targetRegions: 'northeurope=2\neastus Standard_ZRS',
      waitForReplication: 'true',
    };
    show(
      'ShareToGallery publish: gallery + definition + version 1.4.0 from the snapshot, replicated to 3 regions',
      await runTask('ShareToGallery', { inputs: publish, env }),
    );
    show(
      'ShareToGallery publish again with the same source: changes nothing',
      await runTask('ShareToGallery', { inputs: publish, env }),
    );
    if (vmTools.ok) {
      const checks = path.join(work, 'smoke.yml');
      fs.writeFileSync(
        checks,
        [
          'os: linux',
          'baseline: true',
          'checks:',
          '  - { name: app installed by the build, file: /etc/app/version, contains: app 2.4.0 }',
          '  - { name: nginx installed, package: nginx, version: ">= 1.24" }',
          '  - { name: web server running, service: httpd, enabled: true, active: true }',
          '  - { name: web port, port: 8080 }',
          '  - { name: login banner, file: /etc/motd, contains: Authorized use only }',
          '  - { name: no IP forwarding, sysctl: net.ipv4.ip_forward, value: 0 }',
          '',
        ].join('\n'),
      );
      show(
        "SmokeTestImage: version 1.4.0 booted in a VM (QEMU), the checks and the baseline's rules run inside as one Run Command, everything deleted",
        await runTask('SmokeTestImage', {
          inputs: {
            ConnectedServiceName: 'demo',
            imageId: `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/corp_images/images/ubuntu-24-04-hardened/versions/1.4.0`,
            checksPath: checks,
            outputContainerUrl: blobUrl('smoke-output'),
            resourceGroupName: 'rg-images',
            vmSize: 'Standard_D2s_v5',
            agentTimeout: '3m',
          },
          env,
        }),
      );
    } else {
      console.log(`\n=== SmokeTestImage skipped: ${vmTools.why}`);
    }
    show(
      'ShareToGallery resolve: the version VMs get as latest in eastus',
      await runTask('ShareToGallery', { inputs: { ...gallery, mode: 'resolve', regions: 'eastus' }, env }),
    );
    // Disaster recovery and other teams: the image copied to another subscription and region, server-side.
    azure.resourceGroup('rg-images-dr', 'northeurope', azure.secondSubscriptionId);
    azure.resourceGroup('rg-shared-images', 'westeurope', azure.secondSubscriptionId);
    const managed = await runTask('ConvertDisk', {
      inputs: {
        ConnectedServiceName: 'demo',
        conversion: 'toImage',
        sourceId: disk.variables.resourceId?.value ?? '',
        osState: 'Generalized',
        resourceGroupName: 'rg-images',
        targetName: 'ubuntu-24-04-hardened',
      },
      env,
    });
    show('ConvertDisk: snapshot -> managed image', managed);
    show(
      'CopyImage image: the managed image copied to another subscription and region (incremental snapshot, CopyStart)',
      await runTask('CopyImage', {
        inputs: {
          ConnectedServiceName: 'demo',
          copyType: 'image',
          sourceImageId: managed.variables.resourceId?.value ?? '',
          targetSubscriptionId: azure.secondSubscriptionId,
          targetResourceGroupName: 'rg-images-dr',
          targetLocation: 'northeurope',
        },
        env,
      }),
    );
    show(
      'CopyImage galleryVersion: version 1.4.0 published into a gallery of the consumers subscription',
      await runTask('CopyImage', {
        inputs: {
          ConnectedServiceName: 'demo',
          copyType: 'galleryVersion',
          sourceImageId: `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/corp_images/images/ubuntu-24-04-hardened/versions/1.4.0`,
          targetSubscriptionId: azure.secondSubscriptionId,
          targetResourceGroupName: 'rg-shared-images',
          targetGalleryName: 'consumer_images',
        },
        env,
      }),
    );
    // The consumers' side, as another team would have it: a custom topic for CloudEvents and a webhook.
    const webhook = await startWebhook(azure.serverTls);
    const ctx = localContext(azure);
    const eventGrid = eventGridClient(ctx);
    const topic = await eventGrid.topics.beginCreateOrUpdateAndWait(
      'rg-images',
      'image-events',
      { location: 'westeurope', inputSchema: 'CloudEventSchemaV1_0' },
      { updateIntervalInMs: 50 },
    );
    await eventGrid.eventSubscriptions.beginCreateOrUpdateAndWait(
      topic.id!,
      'platform-webhook',
      {
        destination: { endpointType: 'WebHook', endpointUrl: webhook.url },
        eventDeliverySchema: 'CloudEventSchemaV1_0',
      },
      { updateIntervalInMs: 50 },
    );
    azure.devops.addPipeline('platform', 42, 'scale-set-rollout');
    const devOpsEnv = {
      ...env,
      SYSTEM_COLLECTIONURI: azure.devops.collectionUri,
      SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: azure.devops.collectionUri,
      SYSTEM_TEAMPROJECT: 'images',
      BUILD_BUILDID: '1207',
      BUILD_SOURCEVERSION: '3f2a9c1',
    };
    show(
      'AnnounceImage subscribe: a system topic of rg-images, and a subscription routing image-version writes to a webhook',
      await runTask('AnnounceImage', {
        inputs: {
          ConnectedServiceName: 'demo',
          mode: 'subscribe',
          resourceGroupName: 'rg-images',
          systemTopicName: 'rg-images-events',
          galleryName: 'corp_images',
          imageDefinition: 'ubuntu-24-04-hardened',
          eventSubscriptionName: 'image-versions-to-platform',
          destinationType: 'webhook',
          destination: webhook.url,
        },
        env: devOpsEnv,
      }),
    );
    show(
      'AnnounceImage publish: once replicated to eastus, one rich CloudEvent to the topic, and the rollout pipeline queued',
      await runTask('AnnounceImage', {
        inputs: {
          ConnectedServiceName: 'demo',
          mode: 'publish',
          imageVersionId: `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/corp_images/images/ubuntu-24-04-hardened/versions/1.4.0`,
          eventGridTopicEndpoint: topic.endpoint!,
          requireReplicatedRegions: 'eastus',
          pipelines: 'platform/42',
          smokeTestVerdict: 'passed',
        },
        env: devOpsEnv,
      }),
    );
    await azure.eventGrid.settled();
    console.log("\nWhat the subscriber's webhook received:");
    for (const e of webhook.received) console.log(`  ${JSON.stringify(e)}`);
    console.log(`Pipeline runs queued in the local Azure DevOps: ${JSON.stringify(azure.devops.runs)}`);
    webhook.close();

    console.log('\nResources in the local Azure now:');
    for (const r of azure.audit())
      console.log(`  ${r.type.padEnd(36)} ${(r.provisioningState ?? '').padEnd(10)} ${r.id}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await azure.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
