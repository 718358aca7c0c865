import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { DiskBlobs, ImageDiskBytes } from '../arm/providers/disks';

/*
 * The local Azure's Marketplace: a few platform images (publisher:offer:sku:version) made of test images. Image
 * Builder resolves `latest` against it as Azure resolves it against the platform image repository: the highest
 * version by its numeric parts.
 */
export interface PlatformImage {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
  osType: 'Linux' | 'Windows';
  bytes: ImageDiskBytes;
}

export interface PlatformImageRef {
  publisher?: string;
  offer?: string;
  sku?: string;
  version?: string;
}

const CHUNK = 4 * 1024 * 1024;

/** Puts a raw disk file into the local Azure's bytes (only the 4 MiB chunks that hold data, as uploads do). */
export async function keepRawFile(blobs: DiskBlobs, file: string): Promise<ImageDiskBytes> {
  const uniqueId = randomUUID();
  const container = blobs.containerFor(uniqueId);
  await container.create();
  const blob = container.getPageBlobClient('abcd');
  const size = fs.statSync(file).size;
  const sizeBytes = Math.ceil(size / 512) * 512;
  await blob.create(sizeBytes);
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    for (let offset = 0; offset < size; offset += CHUNK) {
      const read = fs.readSync(fd, buffer, 0, Math.min(CHUNK, size - offset), offset);
      const length = Math.ceil(read / 512) * 512;
      const data = buffer.subarray(0, length);
      if (read < length) data.fill(0, read);
      if (data.some((b) => b !== 0)) await blob.uploadPages(data, offset, length);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { uniqueId, sizeBytes };
}

function versionKey(v: string): number[] {
  return v.split('.').map((p) => Number(p) || 0);
}

function newer(a: string, b: string): boolean {
  const [x, y] = [versionKey(a), versionKey(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return false;
}

export class PlatformImages {
  private readonly images: PlatformImage[] = [];

  constructor(private readonly blobs: () => DiskBlobs | undefined) {}

  /** Publishes a raw disk file (e.g. a test image) as a platform image. */
  async add(
    image: Omit<PlatformImage, 'bytes' | 'osType'> & { osType?: 'Linux' | 'Windows'; rawFile: string },
  ) {
    const blobs = this.blobs();
    if (!blobs) throw new Error('platform images need Azurite (blob: true)');
    const bytes = await keepRawFile(blobs, image.rawFile);
    const osType = image.osType ?? 'Linux';
    bytes.osType = osType;
    this.images.push({ ...image, osType, bytes });
  }

  /** The image a reference names, `latest` resolved; undefined when the Marketplace has none. */
  resolve(ref: PlatformImageRef): PlatformImage | undefined {
    const same = (a?: string, b?: string) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
    const candidates = this.images.filter(
      (i) => same(i.publisher, ref.publisher) && same(i.offer, ref.offer) && same(i.sku, ref.sku),
    );
    if ((ref.version ?? '').toLowerCase() === 'latest')
      return candidates.reduce<PlatformImage | undefined>(
        (best, i) => (!best || newer(i.version, best.version) ? i : best),
        undefined,
      );
    return candidates.find((i) => i.version === ref.version);
  }
}
