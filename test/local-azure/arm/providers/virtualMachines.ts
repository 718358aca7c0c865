import { randomBytes, randomUUID } from 'node:crypto';
import {
  BlobSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { AzuriteInstance } from '../../azurite';
import type { VmHost } from '../../vm/vmHost';
import { ArmError, armErrors } from '../errors';
import { resourceBody, type ResourceStore, type StoredResource } from '../store';
import { copyBytes, imageDiskBytes, type DiskBlobs } from './disks';
import { requiredLocation } from './location';
import type { ResourceTypeSpec } from './types';
import { unknownSize, vmSize } from './vmSizes';

/*
 * Microsoft.Compute/virtualMachines, shaped on ComputeRP: a VM is made from a managed image or a gallery image
 * version (its OS disk created FromImage, with the image's bytes) on existing network interfaces, and really
 * boots: QEMU runs the OS disk through the VmHost. Azure's refusals are the local Azure's: a size it does not
 * know, a Gen2 image on a Gen1-only size, an image not in (or not replicated to) the VM's region, Trusted Launch
 * where the image definition needs it. The instance view reports the VM agent Ready once the image's agent
 * answered (never, for an image without one); boot diagnostics hand out the serial console log.
 */
type Props = Record<string, unknown>;

interface ImageFacts {
  source: StoredResource;
  osType: string;
  generation: string;
  /** The image definition's SecurityType feature, for gallery versions. */
  securityType?: string;
  gallery: boolean;
}

function imageFacts(store: ResourceStore, id: string, location: string): ImageFacts {
  const source = store.get(id);
  if (!source)
    throw new ArmError(404, 'NotFound', `The Image '${id}' cannot be found in '${location}' region.`);
  switch (source.type.toLowerCase()) {
    case 'microsoft.compute/images': {
      if (source.location !== location)
        throw armErrors.invalidParameter(
          `The image '${source.name}' is in '${String(source.location)}'; a VM in '${location}' cannot use it.`,
          'storageProfile.imageReference.id',
        );
      const os = ((source.properties.storageProfile as Props).osDisk ?? {}) as Props;
      return {
        source,
        osType: String(os.osType),
        generation: String(source.properties.hyperVGeneration ?? 'V1'),
        gallery: false,
      };
    }
    case 'microsoft.compute/galleries/images/versions': {
      const regions = (
        ((source.properties.publishingProfile as Props | undefined)?.targetRegions ?? []) as {
          name: string;
        }[]
      ).map((r) => r.name.toLowerCase().replace(/\s/g, ''));
      if (!regions.includes(location))
        throw new ArmError(
          404,
          'GalleryImageNotFound',
          `The gallery image version '${source.id}' is not available in '${location}': it is replicated to '${regions.join("', '")}'.`,
        );
      const definition = store.get(source.id.slice(0, source.id.toLowerCase().lastIndexOf('/versions/')))!;
      const features = (definition.properties.features ?? []) as { name: string; value: string }[];
      return {
        source,
        osType: String(definition.properties.osType),
        generation: String(definition.properties.hyperVGeneration ?? 'V1'),
        securityType: features.find((f) => f.name === 'SecurityType')?.value,
        gallery: true,
      };
    }
  }
  throw armErrors.invalidParameter(
    `'${id}' is not a managed image or gallery image version.`,
    'storageProfile.imageReference.id',
  );
}

export interface VirtualMachineDeps {
  blobs: DiskBlobs;
  azurite: AzuriteInstance;
  host: VmHost;
}

export function virtualMachinesProvider(deps?: VirtualMachineDeps): ResourceTypeSpec {
  const agentStatus = (vmId: string) => (deps?.host.vm(vmId)?.agentReady ? 'Ready' : 'Not Ready');
  const instanceView = (r: StoredResource) => {
    const vmId = String(r.properties.vmId);
    const ready = agentStatus(vmId) === 'Ready';
    const now = new Date().toISOString();
    return {
      computerName:
        ((r.properties.osProfile as Props | undefined)?.computerName as string | undefined) ?? r.name,
      osName: ready ? 'Linux' : undefined,
      vmAgent: {
        vmAgentVersion: ready ? 'local-vm-agent/1.0' : 'Unknown',
        statuses: [
          ready
            ? {
                code: 'ProvisioningState/succeeded',
                level: 'Info',
                displayStatus: 'Ready',
                message: 'Guest Agent is running',
                time: now,
              }
            : {
                code: 'ProvisioningState/Unavailable',
                level: 'Warning',
                displayStatus: 'Not Ready',
                message: 'VM status blob is found but not yet populated.',
                time: now,
              },
        ],
      },
      disks: [],
      bootDiagnostics: {},
      hyperVGeneration: r.internal?.hyperVGeneration,
      statuses: [
        {
          code: `ProvisioningState/${String(r.properties.provisioningState).toLowerCase()}`,
          level: 'Info',
          displayStatus: `Provisioning ${String(r.properties.provisioningState).toLowerCase()}`,
        },
        { code: 'PowerState/running', level: 'Info', displayStatus: 'VM running' },
      ],
    };
  };
  return {
    type: 'Microsoft.Compute/virtualMachines',
    asyncCreate: true,
    asyncDelete: true,
    async write(ctx) {
      if (ctx.existing) return { ...ctx.existing, tags: ctx.body.tags as Record<string, string> | undefined };
      if (!deps)
        throw new ArmError(
          400,
          'OperationNotSupported',
          'The local Azure was started without Azurite, so it runs no VMs.',
        );
      const p = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
      const location = requiredLocation(ctx);
      const sizeName = String(((p.hardwareProfile as Props | undefined) ?? {}).vmSize ?? '');
      const size = vmSize(sizeName);
      if (!size) throw unknownSize(sizeName);
      const storage = ((p.storageProfile as Props | undefined) ?? {}) as Props;
      const imageId = String(((storage.imageReference as Props | undefined) ?? {}).id ?? '');
      if (!imageId)
        throw armErrors.invalidParameter(
          'The local Azure makes VMs from managed images and gallery image versions: set storageProfile.imageReference.id.',
          'storageProfile.imageReference',
        );
      const image = imageFacts(ctx.store, imageId, location);
      const generation = image.generation === 'V2' ? '2' : '1';
      if (!size.generations.includes(image.generation as 'V1' | 'V2')) {
        throw new ArmError(
          400,
          'BadRequest',
          `The selected VM size '${size.name}' cannot boot Hypervisor Generation '${generation}'. If this was a Create operation please check that the Hypervisor Generation of the Image matches the Hypervisor Generation of the selected VM Size. If this was an Update operation please select a Hypervisor Generation '${generation}' VM Size.`,
        );
      }
      const security = ((p.securityProfile as Props | undefined) ?? {}) as Props;
      const trustedLaunch = security.securityType === 'TrustedLaunch';
      if (image.securityType === 'TrustedLaunch' && !trustedLaunch)
        throw armErrors.invalidParameter(
          `The image '${image.source.name}' requires Trusted Launch: set securityProfile.securityType to TrustedLaunch.`,
          'securityProfile.securityType',
        );
      if (trustedLaunch && image.generation !== 'V2')
        throw armErrors.invalidParameter(
          'Trusted Launch needs a Generation 2 image.',
          'securityProfile.securityType',
        );
      if (trustedLaunch && !size.trustedLaunch)
        throw new ArmError(400, 'BadRequest', `The VM size '${size.name}' does not support Trusted Launch.`);
      const os = ((p.osProfile as Props | undefined) ?? {}) as Props;
      if (!os.adminUsername)
        throw armErrors.invalidParameter(
          "Required parameter 'adminUsername' is missing (null).",
          'osProfile.adminUsername',
        );
      const linux = (os.linuxConfiguration as Props | undefined) ?? {};
      const keys = (((linux.ssh as Props | undefined)?.publicKeys ?? []) as Props[]).length;
      if (image.osType === 'Linux' && !keys && !os.adminPassword)
        throw armErrors.invalidParameter(
          'A Linux VM needs an SSH public key or an admin password.',
          'osProfile',
        );
      const nics = ((((p.networkProfile as Props | undefined) ?? {}).networkInterfaces ?? []) as Props[]).map(
        (n) => {
          const nic = ctx.store.get(String(n.id ?? ''));
          if (!nic) throw new ArmError(404, 'NotFound', `Resource ${String(n.id)} was not found.`);
          if (nic.location !== location)
            throw armErrors.invalidParameter(
              `The network interface ${nic.name} is in '${String(nic.location)}', not '${location}'.`,
              'networkProfile',
            );
          if (nic.properties.virtualMachine)
            throw new ArmError(
              400,
              'NicInUse',
              `Network interface ${nic.id} is already used by virtual machine ${String((nic.properties.virtualMachine as Props).id)}.`,
            );
          return {
            nic,
            deleteOption: String(((n.properties as Props | undefined) ?? {}).deleteOption ?? 'Detach'),
          };
        },
      );
      if (!nics.length)
        throw armErrors.invalidParameter(
          'A VM needs at least one network interface.',
          'networkProfile.networkInterfaces',
        );
      // The OS disk, made from the image's own bytes, in the VM's group.
      const osDiskBody = ((storage.osDisk as Props | undefined) ?? {}) as Props;
      const diskName = String(osDiskBody.name ?? `${ctx.name}_OsDisk_1_${randomBytes(16).toString('hex')}`);
      const diskId = `/subscriptions/${ctx.subscriptionId}/resourceGroups/${ctx.resourceGroup}/providers/Microsoft.Compute/disks/${diskName}`;
      const bytes = imageDiskBytes(image.source, undefined);
      const sku = String(
        ((osDiskBody.managedDisk as Props | undefined) ?? {}).storageAccountType ?? 'Standard_LRS',
      );
      const disk: StoredResource = {
        id: diskId,
        name: diskName,
        type: 'Microsoft.Compute/disks',
        location,
        extra: {
          sku: { name: sku, tier: sku.startsWith('Premium') ? 'Premium' : 'Standard' },
          managedBy: ctx.id,
        },
        properties: {
          osType: image.osType,
          hyperVGeneration: image.generation,
          ...(trustedLaunch ? { securityProfile: { securityType: 'TrustedLaunch' } } : {}),
          creationData: image.gallery
            ? { createOption: 'FromImage', galleryImageReference: { id: image.source.id } }
            : { createOption: 'FromImage', imageReference: { id: image.source.id } },
          diskSizeGB: Math.ceil(bytes.sizeBytes / 1024 ** 3),
          diskSizeBytes: bytes.sizeBytes,
          diskState: 'Attached',
          uniqueId: randomUUID(),
          timeCreated: new Date().toISOString(),
          encryption: { type: 'EncryptionAtRestWithPlatformKey' },
          networkAccessPolicy: 'AllowAll',
          publicNetworkAccess: 'Enabled',
          provisioningState: 'Succeeded',
        },
      };
      await copyBytes(deps.blobs, bytes.uniqueId, String(disk.properties.uniqueId));
      ctx.store.put(disk);
      for (const { nic } of nics) nic.properties.virtualMachine = { id: ctx.id };
      const vmId = randomUUID();
      deps.host.start(vmId, disk);
      return {
        id: ctx.id,
        name: ctx.name,
        type: '',
        location,
        tags: ctx.body.tags as Record<string, string> | undefined,
        properties: {
          vmId,
          hardwareProfile: { vmSize: size.name },
          storageProfile: {
            imageReference: { id: image.source.id },
            osDisk: {
              osType: image.osType,
              name: diskName,
              createOption: 'FromImage',
              caching: 'ReadWrite',
              managedDisk: { storageAccountType: sku, id: diskId },
              deleteOption: String(osDiskBody.deleteOption ?? 'Detach'),
              diskSizeGB: disk.properties.diskSizeGB,
            },
            dataDisks: [],
          },
          osProfile: {
            computerName: String(os.computerName ?? ctx.name),
            adminUsername: String(os.adminUsername),
            ...(image.osType === 'Linux'
              ? {
                  linuxConfiguration: {
                    disablePasswordAuthentication: linux.disablePasswordAuthentication === true,
                    ...(keys ? { ssh: linux.ssh } : {}),
                    provisionVMAgent: true,
                  },
                }
              : { windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: true } }),
            secrets: [],
            allowExtensionOperations: true,
          },
          networkProfile: {
            networkInterfaces: nics.map(({ nic, deleteOption }) => ({
              id: nic.id,
              properties: { deleteOption },
            })),
          },
          ...(trustedLaunch
            ? {
                securityProfile: {
                  securityType: 'TrustedLaunch',
                  uefiSettings: (security.uefiSettings as Props | undefined) ?? {
                    secureBootEnabled: true,
                    vTpmEnabled: true,
                  },
                },
              }
            : {}),
          diagnosticsProfile: { bootDiagnostics: { enabled: true } },
          timeCreated: new Date().toISOString(),
        },
        // The VM's generation shows in its instance view only, as in Azure.
        internal: { hyperVGeneration: image.generation },
      };
    },
    writeOperation(resource) {
      const vmId = String(resource.properties.vmId);
      return {
        durationMs: 0,
        // The create ends when the VM has booted (QEMU runs); the agent reports Ready on its own time.
        until: () => {
          const state = deps?.host.state(vmId) ?? { booted: true };
          if (state.error)
            return {
              done: true,
              error: { code: 'VMStartFailed', message: `The local VM did not start: ${state.error}` },
            };
          return { done: state.booted };
        },
      };
    },
    onDeleted(resource, store) {
      const vmId = String(resource.properties.vmId ?? '');
      if (deps && vmId) {
        deps.blobs.pending.push(deps.host.stop(vmId));
        deps.blobs.pending.push(
          deps.blobs
            .containerFor(`bootdiag-${vmId}`)
            .deleteIfExists()
            .catch(() => undefined),
        );
      }
      const p = resource.properties;
      const osDisk = ((p.storageProfile as Props | undefined)?.osDisk ?? {}) as Props;
      const diskId = String(((osDisk.managedDisk as Props | undefined) ?? {}).id ?? '');
      const disk = store.get(diskId);
      if (disk) {
        if (osDisk.deleteOption === 'Delete') {
          store.delete(disk.id);
          if (deps)
            deps.blobs.pending.push(
              deps.blobs
                .container(disk)
                .deleteIfExists()
                .catch(() => undefined),
            );
        } else {
          disk.properties.diskState = 'Unattached';
          if (disk.extra) delete disk.extra.managedBy;
        }
      }
      for (const n of (((p.networkProfile as Props | undefined) ?? {}).networkInterfaces ?? []) as Props[]) {
        const nic = store.get(String(n.id));
        if (!nic) continue;
        delete nic.properties.virtualMachine;
        if (((n.properties as Props | undefined) ?? {}).deleteOption === 'Delete') store.delete(nic.id);
      }
    },
    present(r, query) {
      const body = resourceBody(r) as { properties: Props };
      if ((query.get('$expand') ?? '').toLowerCase() === 'instanceview')
        return { ...body, properties: { ...body.properties, instanceView: instanceView(r) } };
      return body;
    },
    views: { instanceView: (r) => instanceView(r) },
    actions: {
      // Boot diagnostics: the serial console log as a blob with a short read SAS, as Azure hands it out.
      async retrieveBootDiagnosticsData({ resource }) {
        if (!deps)
          throw new ArmError(
            409,
            'OperationNotAllowed',
            'No boot diagnostics: the local Azure runs no VMs without Azurite.',
          );
        const vm = deps.host.vm(String(resource.properties.vmId));
        const log = vm?.consoleLog() ?? '';
        const account = deps.azurite.accounts[0];
        const credential = new StorageSharedKeyCredential(account.name, account.key);
        const container = deps.blobs.containerFor(`bootdiag-${String(resource.properties.vmId)}`);
        await container.createIfNotExists();
        const blob = container.getBlockBlobClient(`${resource.name}.serialconsole.log`);
        await blob.upload(log, Buffer.byteLength(log, 'latin1'));
        const sas = generateBlobSASQueryParameters(
          {
            containerName: container.containerName,
            blobName: blob.name,
            permissions: BlobSASPermissions.parse('r'),
            expiresOn: new Date(Date.now() + 120 * 60_000),
          },
          credential,
        ).toString();
        return {
          body: {
            serialConsoleLogBlobUri: `${deps.blobs.publicUrl(container.containerName, blob.name)}?${sas}`,
          },
        };
      },
    },
  };
}
