// Bundles every task into one self-contained file next to its task.json: tasks/<Task>/index.js.
// Guard rails: every task has an entry, no package is bundled twice from two roots (two copies of a stateful
// library such as the task library or the HTTP pipeline split their state), and every execution target exists.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const tasksDir = path.join(root, 'tasks');
const tasks = fs
  .readdirSync(tasksDir)
  .filter((name) => fs.existsSync(path.join(tasksDir, name, 'task.json')))
  .sort();

function packageRoot(input) {
  // 'node_modules/a/node_modules/@scope/b/dist/x.js' -> ['node_modules/a/node_modules/@scope/b', '@scope/b']
  const parts = input.split('/');
  const last = parts.lastIndexOf('node_modules');
  if (last < 0) return undefined;
  const scoped = parts[last + 1]?.startsWith('@');
  const name = parts.slice(last + 1, last + (scoped ? 3 : 2)).join('/');
  return { root: parts.slice(0, last + (scoped ? 3 : 2)).join('/'), name };
}

// Packages a dependency pins to its own major version and that keep no process-wide state: jsonwebtoken (under
// MSAL) keeps its own semver; storage-blob still needs core-lro 2 where arm-compute uses 3 (pollers live per
// call). Anything else twice — the task library, the HTTP pipeline, identity — splits state and fails.
const ALLOWED_DUPLICATES = new Set(['semver', '@azure/core-lro']);

// Files a task reads at run time besides its bundle, copied next to it: BuildImage applies the hardening
// baseline's scripts as they are (the rules are documented beside them).
const TASK_ASSETS = { BuildImage: [['shared/builders/baseline', 'baseline']] };

const problems = [];
const sizes = [];
for (const task of tasks) {
  const dir = path.join(tasksDir, task);
  const entry = path.join(dir, 'index.ts');
  if (!fs.existsSync(entry)) {
    problems.push(`${task}: tasks/${task}/index.ts is missing`);
    continue;
  }
  const outfile = path.join(dir, 'index.js');
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    // The oldest handler the tasks declare is Node20_1.
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // ESM builds of some SDK packages (storage-common's crc64) call createRequire(import.meta.url); in a
    // CommonJS bundle import.meta is empty, so give it the bundle's own URL.
    define: { __EXTENSION_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  const roots = new Map();
  for (const input of Object.keys(result.metafile.inputs)) {
    const found = packageRoot(input);
    if (!found) continue;
    if (!roots.has(found.name)) roots.set(found.name, new Set());
    roots.get(found.name).add(found.root);
  }
  for (const [name, places] of roots) {
    if (places.size > 1 && !ALLOWED_DUPLICATES.has(name))
      problems.push(
        `${task}: package ${name} is bundled from ${places.size} places: ${[...places].join(', ')}`,
      );
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'task.json'), 'utf8'));
  for (const [handler, exec] of Object.entries(manifest.execution ?? {})) {
    if (!fs.existsSync(path.join(dir, exec.target)))
      problems.push(`${task}: ${handler} target ${exec.target} does not exist`);
  }
  for (const [from, to] of TASK_ASSETS[task] ?? []) {
    fs.rmSync(path.join(dir, to), { recursive: true, force: true });
    fs.cpSync(path.join(root, from), path.join(dir, to), { recursive: true });
  }
  sizes.push([task, fs.statSync(outfile).size]);
}

for (const [task, size] of sizes) console.log(`${task.padEnd(16)} ${(size / 1024 / 1024).toFixed(2)} MiB`);
if (problems.length) {
  console.error(`Build failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
