import * as fs from 'node:fs/promises';
import {
  blockBitmapBytes,
  parseBlockAllocationTable,
  parseDynamicHeader,
  UNALLOCATED,
} from './dynamicHeader';
import { buildFixedFooter, FOOTER_SIZE } from './footer';
import { inspectImageFile, type ImageFileInfo } from './inspect';
import { MIN_UPLOAD_VIRTUAL_BYTES, roundUpToMiB } from './uploadRules';
import { VhdError } from './vhdError';

export interface ToFixedOptions {
  signal?: AbortSignal;
  onProgress?: (p: { bytesDone: number; bytesTotal: number }) => void;
}

export interface ToFixedResult {
  path: string;
  virtualBytes: number;
  /** Bytes of disk data actually written (zeros are left as holes). */
  dataBytesWritten: number;
  source: ImageFileInfo;
}

const CHUNK = 4 * 1024 * 1024;

/** Writes a chunk unless it is all zeros: the output was sized first, so skipped chunks stay sparse holes. */
async function writeUnlessZero(
  out: fs.FileHandle,
  chunk: Buffer,
  position: number,
  zeros: Buffer,
): Promise<number> {
  if (chunk.equals(zeros.subarray(0, chunk.length))) return 0;
  await out.write(chunk, 0, chunk.length, position);
  return chunk.length;
}

/**
 * Raw image, dynamic VHD or unaligned fixed VHD → fixed VHD that Azure accepts: virtual size rounded up to a
 * whole MiB (and to Azure's 20 MiB minimum), data copied in 4 MiB chunks with constant memory, zero chunks
 * left as holes. A half-written output is removed on failure or cancellation.
 */
export async function convertToFixedVhd(
  inputPath: string,
  outputPath: string,
  options: ToFixedOptions = {},
): Promise<ToFixedResult> {
  const source = await inspectImageFile(inputPath);
  if (source.format === 'vhdx' || source.format === 'qcow2') {
    throw new VhdError(
      'UnsupportedFormat',
      `'${inputPath}' is ${source.format}; convert it with qemu-img (convertWithQemuImg)`,
    );
  }
  if (source.format === 'vhd-differencing') {
    throw new VhdError(
      'Differencing',
      `'${inputPath}' is a differencing VHD; merge it into its parent first`,
    );
  }
  const sourceVirtual = source.format === 'raw' ? source.fileBytes : source.virtualBytes!;
  const virtualBytes = Math.max(MIN_UPLOAD_VIRTUAL_BYTES, roundUpToMiB(sourceVirtual));
  const input = await fs.open(inputPath, 'r');
  let out: fs.FileHandle | undefined;
  let done = false;
  try {
    out = await fs.open(outputPath, 'w');
    await out.truncate(virtualBytes + FOOTER_SIZE);
    const zeros = Buffer.alloc(CHUNK);
    const buffer = Buffer.alloc(CHUNK);
    let written = 0;
    const progress = (bytesDone: number) => options.onProgress?.({ bytesDone, bytesTotal: sourceVirtual });
    if (source.format === 'vhd-dynamic') {
      written = await copyDynamicBlocks(input, out, source, buffer, zeros, options.signal, progress);
    } else {
      for (let offset = 0; offset < sourceVirtual; offset += CHUNK) {
        options.signal?.throwIfAborted();
        const { bytesRead } = await input.read(buffer, 0, Math.min(CHUNK, sourceVirtual - offset), offset);
        written += await writeUnlessZero(out, buffer.subarray(0, bytesRead), offset, zeros);
        progress(offset + bytesRead);
      }
    }
    await out.write(buildFixedFooter(virtualBytes), 0, FOOTER_SIZE, virtualBytes);
    await out.sync();
    done = true;
    return { path: outputPath, virtualBytes, dataBytesWritten: written, source };
  } finally {
    await input.close();
    await out?.close();
    if (!done) await fs.rm(outputPath, { force: true });
  }
}

async function copyDynamicBlocks(
  input: fs.FileHandle,
  out: fs.FileHandle,
  source: ImageFileInfo,
  buffer: Buffer,
  zeros: Buffer,
  signal: AbortSignal | undefined,
  progress: (bytesDone: number) => void,
): Promise<number> {
  const headerBytes = Buffer.alloc(1024);
  await input.read(headerBytes, 0, 1024, Number(source.footer!.dataOffset));
  const header = parseDynamicHeader(headerBytes);
  if (!header)
    throw new VhdError(
      'NotVhd',
      `'${source.path}' says it is a dynamic VHD but has no dynamic disk header ('cxsparse')`,
    );
  const batBytes = Buffer.alloc(header.maxTableEntries * 4);
  await input.read(batBytes, 0, batBytes.length, header.tableOffset);
  const table = parseBlockAllocationTable(batBytes, header.maxTableEntries);
  const bitmap = blockBitmapBytes(header.blockSize);
  const virtual = source.virtualBytes!;
  let written = 0;
  for (let block = 0; block < table.length; block++) {
    signal?.throwIfAborted();
    const blockStart = block * header.blockSize;
    if (blockStart >= virtual) break;
    if (table[block] !== UNALLOCATED) {
      const dataStart = table[block] * 512 + bitmap;
      const blockLength = Math.min(header.blockSize, virtual - blockStart);
      for (let within = 0; within < blockLength; within += buffer.length) {
        const length = Math.min(buffer.length, blockLength - within);
        const { bytesRead } = await input.read(buffer, 0, length, dataStart + within);
        if (bytesRead < length)
          throw new VhdError(
            'Truncated',
            `'${source.path}' ends inside block ${block}: the dynamic VHD is truncated`,
          );
        written += await writeUnlessZero(out, buffer.subarray(0, length), blockStart + within, zeros);
      }
    }
    progress(Math.min(virtual, blockStart + header.blockSize));
  }
  return written;
}
