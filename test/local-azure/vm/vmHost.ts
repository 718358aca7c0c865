import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DiskBlobs } from '../arm/providers/disks';
import type { StoredResource } from '../arm/store';
import { LocalVm } from './localVm';

/** Copies bytes the local Azure keeps (a disk's, an image's) into a sparse file: only the ranges that hold data. */
export async function copyOutBytes(blobs: DiskBlobs, uniqueId: string, file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const blob = blobs.containerFor(uniqueId).getPageBlobClient('abcd');
  const { contentLength = 0 } = await blob.getProperties();
  const fd = fs.openSync(file, 'w');
  try {
    fs.ftruncateSync(fd, contentLength);
    for await (const page of blob.listPageRanges().byPage()) {
      for (const range of page.pageRange ?? []) {
        const data = await blob.downloadToBuffer(range.start, range.end + 1 - range.start);
        fs.writeSync(fd, data, 0, data.length, range.start);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

interface HostedVm {
  /** Set once QEMU runs; until then the boot (copying the disk out of Azurite, starting QEMU) is under way. */
  vm?: LocalVm;
  error?: string;
  raw: string;
  booting: Promise<void>;
}

/**
 * Runs the local Azure's VMs: a VM's OS disk bytes are read out of its Azurite page blob (only the ranges that
 * hold data, into a sparse file) and booted in QEMU. Writes inside the VM stay in that file, as a VM's changes
 * stay on its disk.
 */
export class VmHost {
  private readonly vms = new Map<string, HostedVm>();

  constructor(
    private readonly blobs: DiskBlobs,
    private readonly workDir: string,
  ) {}

  start(vmId: string, osDisk: StoredResource): void {
    const raw = path.join(this.workDir, `${vmId}.raw`);
    const hosted: HostedVm = { raw, booting: Promise.resolve() };
    hosted.booting = (async () => {
      try {
        await copyOutBytes(this.blobs, String(osDisk.properties.uniqueId), raw);
        hosted.vm = await LocalVm.boot({ diskPath: raw, workDir: this.workDir });
      } catch (e) {
        hosted.error = e instanceof Error ? e.message : String(e);
      }
    })();
    this.vms.set(vmId, hosted);
  }

  /** Booted (QEMU runs), failed to boot, or still booting. */
  state(vmId: string): { booted: boolean; error?: string } {
    const hosted = this.vms.get(vmId);
    if (!hosted) return { booted: false, error: 'the VM is not running' };
    return { booted: hosted.vm !== undefined, error: hosted.error };
  }

  vm(vmId: string): LocalVm | undefined {
    return this.vms.get(vmId)?.vm;
  }

  async stop(vmId: string): Promise<void> {
    const hosted = this.vms.get(vmId);
    if (!hosted) return;
    this.vms.delete(vmId);
    await hosted.booting;
    await hosted.vm?.stop();
    fs.rmSync(hosted.raw, { force: true });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.vms.keys()].map((id) => this.stop(id)));
  }
}
