// Builds the task bundles and packs the extension with tfx-cli: dist/<publisher>.<id>-<version>.vsix.
// Publisher and version come from package.json, so one place says what is released.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const outDir = path.join(root, 'dist');
fs.mkdirSync(outDir, { recursive: true });

execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
const override = JSON.stringify({ version: pkg.version, publisher: pkg.publisher });
execFileSync(
  path.join(root, 'node_modules', '.bin', 'tfx'),
  [
    'extension',
    'create',
    '--root',
    root,
    '--manifest-globs',
    'vss-extension.json',
    '--output-path',
    outDir,
    '--override',
    override,
    '--no-prompt',
    '--no-color',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], cwd: root, env: { ...process.env, TFX_TRACE: '' } },
);
const vsix = path.join(outDir, `${pkg.publisher}.vm-image-lifecycle-${pkg.version}.vsix`);
if (!fs.existsSync(vsix)) {
  console.error(`tfx did not write ${vsix}`);
  process.exit(1);
}
const size = fs.statSync(vsix).size;
console.log(`${path.relative(root, vsix)} ${(size / 1024 / 1024).toFixed(2)} MiB (${size} bytes)`);
