// Draws the extension and task icons (PNG, no dependencies): a coloured rounded tile with a white glyph per task.
// Run once when icons change: node scripts/make-icons.mjs
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const root = path.resolve(import.meta.dirname, '..');

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x / size, y / size);
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const inTile = (x, y) => {
  const r = 0.18;
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const glyphs = {
  // a layered disk stack: the image
  extension: (x, y) => [0.3, 0.47, 0.64].some((c) => Math.abs(y - c) < 0.06 && x > 0.22 && x < 0.78),
  BuildImage: (x, y) =>
    (x > 0.25 && x < 0.75 && Math.abs(y - 0.7) < 0.07) || (Math.abs(x - 0.5) < 0.07 && y > 0.25 && y < 0.7),
  ShareToGallery: (x, y) =>
    [
      [0.32, 0.32],
      [0.68, 0.32],
      [0.32, 0.68],
      [0.68, 0.68],
    ].some(([a, b]) => Math.abs(x - a) < 0.12 && Math.abs(y - b) < 0.12),
  CopyImage: (x, y) =>
    (Math.abs(x - 0.4) < 0.16 && Math.abs(y - 0.4) < 0.16) ||
    (Math.abs(x - 0.62) < 0.16 &&
      Math.abs(y - 0.62) < 0.16 &&
      !(Math.abs(x - 0.62) < 0.08 && Math.abs(y - 0.62) < 0.08)),
  ConvertDisk: (x, y) => Math.abs((x - 0.5) ** 2 + (y - 0.5) ** 2 - 0.07) < 0.025,
  SmokeTestImage: (x, y) =>
    (y > 0.5 && Math.abs(y - 0.5 - (x - 0.3)) < 0.07 && x > 0.25 && x < 0.45) ||
    (Math.abs(y - 0.7 + (x - 0.45) * 1.2) < 0.07 && x >= 0.42 && x < 0.78),
  AnnounceImage: (x, y) =>
    (x > 0.25 && x < 0.45 && Math.abs(y - 0.5) < 0.12) ||
    (x >= 0.45 && x < 0.72 && Math.abs(y - 0.5) < 0.1 + (x - 0.45) * 0.8),
};
const colours = {
  extension: [0, 120, 212],
  BuildImage: [16, 124, 16],
  ShareToGallery: [0, 120, 212],
  CopyImage: [92, 45, 145],
  ConvertDisk: [202, 80, 16],
  SmokeTestImage: [0, 133, 119],
  AnnounceImage: [194, 57, 179],
};
function draw(name, size) {
  const [r, g, b] = colours[name];
  return png(size, (x, y) =>
    !inTile(x, y) ? [0, 0, 0, 0] : glyphs[name](x, y) ? [255, 255, 255, 255] : [r, g, b, 255],
  );
}
fs.mkdirSync(path.join(root, 'images'), { recursive: true });
fs.writeFileSync(path.join(root, 'images', 'extension-icon.png'), draw('extension', 128));
for (const task of Object.keys(glyphs).filter((k) => k !== 'extension')) {
  fs.writeFileSync(path.join(root, 'tasks', task, 'icon.png'), draw(task, 64));
}
console.log('icons written');
