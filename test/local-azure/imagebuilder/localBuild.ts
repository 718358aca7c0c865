import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeManagementClient } from '@azure/arm-compute';
import type { TokenCredential } from '@azure/core-auth';
import {
  AnonymousCredential,
  BlobClient,
  BlobServiceClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { AzuriteInstance } from '../azurite';
import type { DiskBlobs, ImageDiskBytes } from '../arm/providers/disks';
import type { ResourceStore, StoredResource } from '../arm/store';
import type { LocalEntra } from '../entra';
import { copyOutBytes } from '../vm/vmHost';
import { LocalVm } from '../vm/localVm';
import { keepRawFile } from './platformImages';

/*
 * One run of an image template, as Azure VM Image Builder does it: the source image's disk is copied, booted as
 * the build VM (QEMU with the image's own init and the local VM agent), the Shell and File customizers run in it
 * as root, the in-VM validators after them, the VM is shut down, and the changed disk is distributed as a managed
 * image, a gallery image version or a VHD. Distribution goes through the local ARM with a token of the template's
 * user-assigned identity, as the service acts as that identity. Everything the build prints goes to
 * `customization.log` in the staging storage account (container `packerlogs`, one folder per run).
 */
type Props = Record<string, unknown>;

export interface BuildDeps {
  blobs: DiskBlobs;
  azurite: AzuriteInstance;
  store: ResourceStore;
  entra: LocalEntra;
  armUrl: () => string;
  ca: string;
  workDir: string;
}

export interface RunStatus {
  startTime?: string;
  endTime?: string;
  runState: 'Running' | 'Canceling' | 'Succeeded' | 'PartiallySucceeded' | 'Failed' | 'Canceled';
  runSubState?: 'Queued' | 'Building' | 'Customizing' | 'Validating' | 'Distributing';
  message?: string;
}

export interface BuildInput {
  template: StoredResource;
  source: ImageDiskBytes & { osType: string; generation: string };
  identityClientId: string;
  stagingGroupId: string;
  logsAccount: string;
  onStatus: (status: RunStatus) => void;
}

const LOG_CONTAINER = 'packerlogs';

class BuildFailure extends Error {}

/**
 * The footer of a fixed VHD of `sizeBytes`, as qemu-img writes it (the local service's own tool, as Azure has its
 * own): an empty fixed VHD of that size is made (sparse, instant) and its last 512 bytes taken.
 */
function fixedVhdFooter(sizeBytes: number, workDir: string): Buffer {
  const file = path.join(workDir, `footer-${randomUUID()}.vhd`);
  try {
    execFileSync('qemu-img', [
      'create',
      '-q',
      '-f',
      'vpc',
      '-o',
      'subformat=fixed,force_size=on',
      file,
      String(sizeBytes),
    ]);
    const fd = fs.openSync(file, 'r');
    const footer = Buffer.alloc(512);
    fs.readSync(fd, footer, 0, 512, fs.fstatSync(fd).size - 512);
    fs.closeSync(fd);
    return footer;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export class LocalBuild {
  readonly runId = randomUUID();
  private readonly abort = new AbortController();
  private logUpload: Promise<unknown> = Promise.resolve();
  done = false;
  finalState?: RunStatus['runState'];
  readonly finished: Promise<void>;
  private canceled = false;

  constructor(
    private readonly deps: BuildDeps,
    private readonly input: BuildInput,
  ) {
    this.finished = this.run().finally(() => {
      this.done = true;
    });
  }

  get logUrl(): string {
    return `${this.deps.azurite.blobEndpoint(this.input.logsAccount)}/${LOG_CONTAINER}/${this.runId}/customization.log`;
  }

  cancel(): void {
    if (this.done) return;
    this.canceled = true;
    this.input.onStatus({ ...this.status, runState: 'Canceling' });
    this.abort.abort();
  }

  private status: RunStatus = { runState: 'Running', runSubState: 'Queued' };

  private setStatus(s: Partial<RunStatus>): void {
    this.status = { ...this.status, ...s };
    this.input.onStatus(this.status);
  }

  /** One line more in customization.log: appended in order, as the build goes (the blob is made in `run`). */
  private write(line: string): void {
    const text = `[${new Date().toISOString()}] ${line}\n`;
    this.logUpload = this.logUpload.then(() =>
      this.logBlob()
        .appendBlock(text, Buffer.byteLength(text))
        .catch(() => undefined),
    );
  }

  private logBlob() {
    return this.service(this.input.logsAccount)
      .getContainerClient(LOG_CONTAINER)
      .getAppendBlobClient(`${this.runId}/customization.log`);
  }

  /** A storage account of the local Azure, as the service reaches it (its own key). */
  private service(accountName: string): BlobServiceClient {
    const account = this.deps.azurite.accounts.find((a) => a.name === accountName);
    if (!account) throw new Error(`'${accountName}' is not a storage account here`);
    return new BlobServiceClient(
      this.deps.azurite.blobEndpoint(account.name),
      new StorageSharedKeyCredential(account.name, account.key),
      this.deps.azurite.clientOptions,
    );
  }

  private get props(): Props {
    return this.input.template.properties;
  }

  private async run(): Promise<void> {
    const started = new Date().toISOString();
    this.setStatus({ startTime: started, runState: 'Running', runSubState: 'Queued', message: undefined });
    await this.service(this.input.logsAccount).getContainerClient(LOG_CONTAINER).createIfNotExists();
    await this.logBlob().create();
    const minutes = Number(this.props.buildTimeoutInMinutes ?? 0) || 240;
    const timer = setTimeout(() => {
      this.write(`Build timed out after ${minutes} minutes (buildTimeoutInMinutes).`);
      this.timedOut = true;
      this.abort.abort();
    }, minutes * 60_000);
    const raw = path.join(this.deps.workDir, `build-${this.runId}.raw`);
    let vm: LocalVm | undefined;
    try {
      this.write(`PACKER OUT ==> azure-arm: Image template ${this.input.template.id}: run ${this.runId}`);
      this.setStatus({ runSubState: 'Building' });
      fs.mkdirSync(this.deps.workDir, { recursive: true });
      await copyOutBytes(this.deps.blobs, this.input.source.uniqueId, raw);
      this.write('PACKER OUT ==> azure-arm: Starting the build VM from the source image ...');
      vm = await LocalVm.boot({ diskPath: raw, workDir: this.deps.workDir });
      const ready = await Promise.race([
        vm.waitForAgent(120_000),
        new Promise<boolean>((resolve) =>
          this.abort.signal.addEventListener('abort', () => resolve(false), { once: true }),
        ),
      ]);
      this.stopIfAborted();
      if (!ready)
        throw new BuildFailure(
          'The build VM did not become reachable (no VM agent answered within 120 s): the source image cannot be customized.',
        );
      this.write('PACKER OUT ==> azure-arm: Connected to the build VM.');
      this.setStatus({ runSubState: 'Customizing' });
      for (const [k, c] of ((this.props.customize ?? []) as Props[]).entries())
        await this.step(vm, c, `customize[${k}]`, 'customizer');
      const validate = (this.props.validate ?? {}) as Props;
      const validators = (validate.inVMValidations ?? []) as Props[];
      let validationFailed: string | undefined;
      if (validators.length) {
        this.setStatus({ runSubState: 'Validating' });
        try {
          for (const [k, c] of validators.entries())
            await this.step(vm, c, `validate.inVMValidations[${k}]`, 'validator');
        } catch (e) {
          if (!(e instanceof BuildFailure) || validate.continueDistributeOnFailure !== true) throw e;
          validationFailed = e.message;
        }
      }
      await vm.run('sync');
      await vm.stop();
      vm = undefined;
      this.write('PACKER OUT ==> azure-arm: The build VM is shut down; capturing its OS disk.');
      this.setStatus({ runSubState: 'Distributing' });
      const captured = await keepRawFile(this.deps.blobs, raw);
      const partial = await this.distribute(captured, raw);
      await this.deps.blobs
        .containerFor(captured.uniqueId)
        .deleteIfExists()
        .catch(() => undefined);
      const state = validationFailed || partial ? 'PartiallySucceeded' : 'Succeeded';
      this.write(`PACKER OUT Build '${state}'.`);
      this.finish(state, validationFailed ?? partial);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (this.canceled) {
        this.write('PACKER ERR Build was canceled.');
        this.finish('Canceled', 'The build was canceled.');
      } else {
        this.write(`PACKER ERR ${message}`);
        this.finish(
          'Failed',
          `Failed while waiting for packerizer: Microservice has failed: Failed while processing request: Error when executing packerizer: Packer build command has failed: exit status 1. During the image build, a failure has occurred, please review the build log to identify which build/customization step failed. Image Build log location: ${this.logUrl}. ${message}`,
        );
      }
    } finally {
      clearTimeout(timer);
      await vm?.stop();
      fs.rmSync(raw, { force: true });
      await this.logUpload;
    }
  }

  private timedOut = false;

  private stopIfAborted(): void {
    if (this.abort.signal.aborted)
      throw new BuildFailure(this.timedOut ? 'The build timed out.' : 'The build was canceled.');
  }

  private finish(state: RunStatus['runState'], message?: string): void {
    this.finalState = state;
    this.setStatus({ runState: state, endTime: new Date().toISOString(), message });
  }

  private async download(uri: string, checksum: unknown, where: string): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await new BlobClient(
        uri,
        new AnonymousCredential(),
        this.deps.azurite.clientOptions,
      ).downloadToBuffer();
    } catch (e) {
      throw new BuildFailure(
        `${where}: could not download '${uri.split('?')[0]}': ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      );
    }
    if (typeof checksum === 'string' && checksum) {
      const actual = createHash('sha256').update(data).digest('hex');
      if (actual.toLowerCase() !== checksum.toLowerCase())
        throw new BuildFailure(
          `${where}: the SHA256 checksum of '${uri.split('?')[0]}' is ${actual}, not ${checksum}.`,
        );
    }
    return data;
  }

  /** One customizer or validator, run in the build VM; a non-zero exit fails the build. */
  private async step(vm: LocalVm, c: Props, where: string, kind: string): Promise<void> {
    this.stopIfAborted();
    const type = String(c.type);
    const name = String(c.name ?? type);
    this.write(`PACKER OUT ==> azure-arm: Running ${kind} '${name}' (${type}) ...`);
    let script: string;
    switch (type) {
      case 'Shell': {
        script = c.scriptUri
          ? (await this.download(String(c.scriptUri), c.sha256Checksum, where)).toString('utf8')
          : ((c.inline ?? []) as string[]).join('\n');
        break;
      }
      case 'File': {
        const data = await this.download(String(c.sourceUri), c.sha256Checksum, where);
        const destination = String(c.destination);
        script = [
          `mkdir -p "$(dirname '${destination}')"`,
          `base64 -d > '${destination}' <<'LOCAL_AIB_EOF'`,
          data.toString('base64').replace(/(.{76})/g, '$1\n'),
          'LOCAL_AIB_EOF',
        ].join('\n');
        break;
      }
      default:
        throw new BuildFailure(
          `${where}: a ${type} ${kind} cannot run on this ${this.input.source.osType} build VM.`,
        );
    }
    const result = await vm.run(script, { signal: this.abort.signal });
    for (const line of result.stdout.toString('utf8').split('\n').filter(Boolean))
      this.write(`PACKER OUT     azure-arm: ${line}`);
    for (const line of result.stderr.toString('utf8').split('\n').filter(Boolean))
      this.write(`PACKER ERR     azure-arm: ${line}`);
    this.stopIfAborted();
    if (result.exitCode !== 0)
      throw new BuildFailure(
        `${where} ('${name}'): Script exited with non-zero exit status: ${result.exitCode}. Allowed exit codes are: [0]`,
      );
  }

  private client(subscriptionId: string): ComputeManagementClient {
    const audience = `${this.deps.armUrl()}/`;
    const credential: TokenCredential = {
      getToken: () => {
        const { token, exp } = this.deps.entra.issueAccessToken(this.input.identityClientId, audience);
        return Promise.resolve({ token, expiresOnTimestamp: exp * 1000 });
      },
    };
    return new ComputeManagementClient(credential, subscriptionId, {
      endpoint: this.deps.armUrl(),
      credentials: { scopes: [`${audience}.default`] },
      tlsOptions: { ca: this.deps.ca },
    });
  }

  /** Returns a message when some distribution target failed (the run then partially succeeded). */
  private async distribute(captured: ImageDiskBytes, raw: string): Promise<string | undefined> {
    const staging = this.input.stagingGroupId;
    const stagingSub = staging.split('/')[2];
    const stagingRg = staging.split('/')[4];
    const location = String(this.input.template.location);
    const lro = { updateIntervalInMs: 50 };
    // The captured OS disk, in the staging group: the service's own resource, made as its disks are.
    const diskId = `${staging}/providers/Microsoft.Compute/disks/${this.input.template.name}-${this.runId.slice(0, 8)}-os`;
    this.deps.store.put({
      id: diskId,
      name: diskId.split('/').pop()!,
      type: 'Microsoft.Compute/disks',
      location,
      extra: { sku: { name: 'Standard_LRS', tier: 'Standard' } },
      properties: {
        osType: this.input.source.osType,
        hyperVGeneration: this.input.source.generation,
        creationData: { createOption: 'Empty' },
        diskSizeGB: Math.ceil(captured.sizeBytes / 1024 ** 3),
        diskSizeBytes: captured.sizeBytes,
        diskState: 'Unattached',
        uniqueId: captured.uniqueId,
        timeCreated: new Date().toISOString(),
        provisioningState: 'Succeeded',
      },
    });
    const failures: string[] = [];
    let stagingImage: string | undefined;
    const imageBody = (loc: string) => ({
      location: loc,
      hyperVGeneration: this.input.source.generation,
      storageProfile: {
        osDisk: {
          osType: this.input.source.osType as 'Linux' | 'Windows',
          osState: 'Generalized' as const,
          managedDisk: { id: diskId },
        },
      },
    });
    try {
      for (const d of (this.props.distribute ?? []) as Props[]) {
        const runOutputName = String(d.runOutputName);
        try {
          let artifactId: string | undefined;
          let artifactUri: string | undefined;
          switch (d.type) {
            case 'ManagedImage': {
              const id = String(d.imageId);
              const [, , sub, , rg, , , , name] = id.split('/');
              const image = await this.client(sub).images.createOrUpdate(
                rg,
                name,
                { ...imageBody(String(d.location)), tags: d.artifactTags as Record<string, string> },
                lro,
              );
              artifactId = image.id;
              break;
            }
            case 'SharedImage': {
              if (!stagingImage) {
                const name = `${this.input.template.name}-${this.runId.slice(0, 8)}`;
                stagingImage = (
                  await this.client(stagingSub).images.createOrUpdate(
                    stagingRg,
                    name,
                    imageBody(location),
                    lro,
                  )
                ).id;
              }
              artifactId = await this.galleryVersion(d, stagingImage!, lro);
              break;
            }
            case 'VHD': {
              artifactUri = await this.vhd(d, raw, captured);
              break;
            }
            default:
              throw new Error(`unknown distributor type ${String(d.type)}`);
          }
          this.deps.store.put({
            id: `${this.input.template.id}/runOutputs/${runOutputName}`,
            name: runOutputName,
            type: 'Microsoft.VirtualMachineImages/imageTemplates/runOutputs',
            properties: {
              ...(artifactId ? { artifactId } : {}),
              ...(artifactUri ? { artifactUri } : {}),
              provisioningState: 'Succeeded',
            },
          });
          this.write(
            `PACKER OUT ==> azure-arm: Distributed '${runOutputName}': ${artifactId ?? artifactUri}`,
          );
        } catch (e) {
          const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
          this.write(`PACKER ERR Distribution '${runOutputName}' failed: ${message}`);
          failures.push(`${runOutputName}: ${message}`);
        }
      }
    } finally {
      if (stagingImage) {
        await this.client(stagingSub)
          .images.delete(stagingRg, stagingImage.split('/').pop()!, lro)
          .catch(() => undefined);
      }
      this.deps.store.delete(diskId);
    }
    if (failures.length === ((this.props.distribute ?? []) as Props[]).length)
      throw new BuildFailure(`Every distribution failed: ${failures.join('; ')}`);
    return failures.length ? `Some distributions failed: ${failures.join('; ')}` : undefined;
  }

  private async galleryVersion(d: Props, imageId: string, lro: { updateIntervalInMs: number }) {
    const target = String(d.galleryImageId);
    const parts = target.split('/');
    const [sub, rg, gallery, definition] = [parts[2], parts[4], parts[8], parts[10]];
    const client = this.client(sub);
    let version = parts[12];
    if (!version) {
      // Versioning `Latest` (the default): one patch above the highest version (under `major` when set), or
      // major.0.0 for the first.
      const major = (d.versioning as Props | undefined)?.major as number | undefined;
      let best: number[] | undefined;
      for await (const v of client.galleryImageVersions.listByGalleryImage(rg, gallery, definition)) {
        const n = String(v.name).split('.').map(Number);
        if (major !== undefined && n[0] !== major) continue;
        if (
          !best ||
          n[0] > best[0] ||
          (n[0] === best[0] && (n[1] > best[1] || (n[1] === best[1] && n[2] > best[2])))
        )
          best = n;
      }
      version = best ? `${best[0]}.${best[1]}.${best[2] + 1}` : `${major ?? 1}.0.0`;
    }
    const gal = await client.galleries.get(rg, gallery);
    type Region = { name: string; replicaCount?: number; storageAccountType?: string };
    const regions: Region[] =
      (d.targetRegions as Region[] | undefined) ??
      ((d.replicationRegions ?? []) as string[]).map((name) => ({ name }));
    const made = await client.galleryImageVersions.createOrUpdate(
      rg,
      gallery,
      definition,
      version,
      {
        location: String(gal.location),
        tags: d.artifactTags as Record<string, string>,
        storageProfile: { source: { id: imageId } },
        publishingProfile: {
          targetRegions: (regions.length ? regions : [{ name: String(gal.location) }]).map((r) => ({
            name: r.name,
            regionalReplicaCount: r.replicaCount ?? 1,
            storageAccountType: (r.storageAccountType ?? d.storageAccountType ?? 'Standard_LRS') as string,
          })),
          excludeFromLatest: d.excludeFromLatest === true,
        },
      },
      lro,
    );
    return String(made.id);
  }

  private async vhd(d: Props, raw: string, captured: ImageDiskBytes): Promise<string> {
    // The VHD goes to the blob the distributor names, else to the staging account (which goes with the template).
    const uri = typeof d.uri === 'string' && d.uri ? new URL(d.uri) : undefined;
    const [accountName, containerName, ...blobPath] = uri
      ? uri.pathname.split('/').filter(Boolean).map(decodeURIComponent)
      : [this.input.logsAccount, 'vhds', `${this.input.template.name}-${this.runId}.vhd`];
    if (!containerName || !blobPath.length)
      throw new Error(`the VHD target '${String(d.uri)}' is not a blob of a storage account here`);
    const container = this.service(accountName).getContainerClient(containerName);
    if (uri) {
      if (!(await container.exists()))
        throw new Error(`the container '${containerName}' of the VHD target does not exist`);
    } else await container.createIfNotExists();
    const blob = container.getPageBlobClient(blobPath.join('/'));
    await blob.create(captured.sizeBytes + 512);
    const fd = fs.openSync(raw, 'r');
    try {
      const CHUNK = 4 * 1024 * 1024;
      const buffer = Buffer.alloc(CHUNK);
      for (let offset = 0; offset < captured.sizeBytes; offset += CHUNK) {
        const length = Math.min(CHUNK, captured.sizeBytes - offset);
        const read = fs.readSync(fd, buffer, 0, length, offset);
        buffer.fill(0, read, length);
        const data = buffer.subarray(0, length);
        if (data.some((b) => b !== 0)) await blob.uploadPages(data, offset, length);
      }
    } finally {
      fs.closeSync(fd);
    }
    await blob.uploadPages(fixedVhdFooter(captured.sizeBytes, this.deps.workDir), captured.sizeBytes, 512);
    return uri ? `${uri.origin}${uri.pathname}` : blob.url;
  }
}
