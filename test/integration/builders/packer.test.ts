// The Packer side of BuildImage, with the real packer (Debian's 1.6.6): every template the task generates is
// validated by it (azure-arm is built in and checks its settings offline), and azure-arm artifacts are read from
// machine-readable output shaped on what packer-plugin-azure (ManagedImageId, ManagedImageSharedImageGalleryId,
// VHDOSDiskUri) and Packer 1.6 (OSDiskUri, OSDiskUriReadOnlySas) print.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BuildRequest } from '../../../shared/builders/buildRequest';
import { builtinPackerTemplate, type PackerAuth } from '../../../shared/builders/packer/builtinTemplate';
import { ArtifactCollector, azureArtifactIds } from '../../../shared/builders/packer/artifacts';
import {
  MachineReadableStream,
  parseMachineReadableLine,
} from '../../../shared/builders/packer/machineReadable';
import { packerValidate } from '../../../shared/builders/packer/packerRun';
import { requireTool } from '../../harness/systemTools';

const SUB = '11111111-2222-3333-4444-555555555555';
const FIXTURES = path.join(__dirname, '../../harness/fixtures/packer');
/** A token of a JWT's shape with x5t, as Azure DevOps issues them: packer checks client_jwt's shape offline. */
const JWT_SHAPED = [
  Buffer.from('{"alg":"RS256","typ":"JWT","kid":"k","x5t":"dGh1bWJwcmludA"}').toString('base64url'),
  Buffer.from(`{"aud":"api://AzureADTokenExchange","exp":${Math.floor(Date.now() / 1000) + 3600}}`).toString(
    'base64url',
  ),
  'c2ln',
].join('.');

function events(file: string) {
  const collector = new ArtifactCollector();
  const text: string[] = [];
  const stream = new MachineReadableStream(
    (e) => collector.add(e),
    (line) => text.push(line),
  );
  const content = fs.readFileSync(path.join(FIXTURES, file), 'utf8');
  // Chunks cut mid-line, as a pipe delivers them.
  for (let i = 0; i < content.length; i += 37) stream.push(content.slice(i, i + 37));
  stream.end();
  return { artifacts: collector.artifacts, text };
}

describe('Packer machine-readable output and azure-arm artifacts', () => {
  it('reads a gallery build: managed image and gallery version ids, commas unescaped', () => {
    const { artifacts } = events('azure-arm-gallery.machine-readable.txt');
    assert.equal(artifacts.length, 1);
    assert.equal(artifacts[0].builderId, 'Azure.ResourceManagement.VMImage');
    const ids = azureArtifactIds(artifacts[0]);
    assert.equal(
      ids.managedImageId,
      `/subscriptions/${SUB}/resourceGroups/rg-build/providers/Microsoft.Compute/images/web-1.4.2`,
    );
    assert.equal(
      ids.galleryImageVersionId,
      `/subscriptions/${SUB}/resourceGroups/rg-gallery/providers/Microsoft.Compute/galleries/images_gallery/images/web/versions/1.4.2`,
    );
    assert.equal(ids.vhdUri, undefined);
    assert.match(artifacts[0].text ?? '', /westeurope, northeurope/);
  });

  it('reads a Packer 1.6 VHD build through a banner line; its read-only SAS URIs are flagged as secrets', () => {
    const { artifacts, text } = events('azure-arm-vhd-1.6.machine-readable.txt');
    assert.deepEqual(text, ['Packer v1.6.6 (an old banner a wrapper script printed)']);
    const ids = azureArtifactIds(artifacts[0]);
    assert.equal(
      ids.vhdUri,
      'https://images.blob.core.windows.net/system/Microsoft.Compute/Images/images/packer-osDisk.1b2c.vhd',
    );
    assert.equal(ids.managedImageId, undefined);
    assert.equal(ids.sasUris.length, 2);
    assert.ok(ids.sasUris.every((u) => u.includes('sig=')));
  });

  it('parses a line with escaped commas and newlines, and leaves other text alone', () => {
    assert.deepEqual(parseMachineReadableLine('1,,ui,message,    x: a%!(PACKER_COMMA) b\\nc'), {
      timestamp: 1,
      target: '',
      type: 'ui',
      data: ['message', '    x: a, b\nc'],
    });
    assert.equal(parseMachineReadableLine('Packer v1.11.2'), undefined);
  });
});

describe('built-in Packer templates, validated by the real packer', function () {
  this.timeout(60_000);
  let dir: string;
  let packerPath = '';
  let version = '';
  before(function () {
    requireTool(this, 'packer');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'packer-templates-'));
    packerPath = execFileSync('sh', ['-c', 'command -v packer'], { encoding: 'utf8' }).trim();
    version = /(\d+\.\d+\.\d+)/.exec(execFileSync(packerPath, ['version'], { encoding: 'utf8' }))![1];
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  const gallery = `/subscriptions/${SUB}/resourceGroups/rg-gallery/providers/Microsoft.Compute/galleries/g/images/web`;
  const request = (over: Partial<BuildRequest>): BuildRequest => ({
    resourceGroup: 'rg-build',
    location: 'westeurope',
    source: {
      kind: 'platform',
      publisher: 'Canonical',
      offer: 'ubuntu-24_04-lts',
      sku: 'server',
      version: 'latest',
    },
    osType: 'Linux',
    customizations: [],
    baseline: true,
    distribution: { galleryImageId: gallery, replicationRegions: ['westeurope', 'northeurope'] },
    timeoutSeconds: 3600,
    vmSize: 'Standard_D2s_v5',
    ...over,
  });
  const cases: [string, BuildRequest, PackerAuth][] = [
    ['Linux, Marketplace latest, to a gallery, secret', request({}), 'secret'],
    [
      'Linux, managed image source, to a managed image and a gallery, in a subnet, workload identity',
      request({
        source: {
          kind: 'managedImage',
          id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/base`,
        },
        distribution: {
          managedImageId: `/subscriptions/${SUB}/resourceGroups/rg-build/providers/Microsoft.Compute/images/out`,
          galleryImageId: gallery,
          replicationRegions: [],
        },
        subnetId: `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/build`,
        osDiskSizeGB: 64,
      }),
      'jwt',
    ],
    [
      'Windows, gallery version source, to a managed image, managed identity',
      request({
        osType: 'Windows',
        source: { kind: 'galleryVersion', id: `${gallery}/versions/1.0.0` },
        distribution: {
          managedImageId: `/subscriptions/${SUB}/resourceGroups/rg-build/providers/Microsoft.Compute/images/win`,
          replicationRegions: [],
        },
      }),
      'managedIdentity',
    ],
  ];
  for (const [name, req, auth] of cases) {
    it(name, async () => {
      const script = path.join(dir, req.osType === 'Linux' ? 'setup.sh' : 'setup.ps1');
      fs.writeFileSync(script, 'echo setup\n');
      const motd = path.join(dir, 'motd');
      fs.writeFileSync(motd, 'hello\n');
      const steps =
        req.osType === 'Linux'
          ? [
              { kind: 'shell' as const, path: script, name: 'setup.sh' },
              { kind: 'file' as const, path: motd, destination: '/etc/motd', name: 'step-2' },
            ]
          : [
              { kind: 'powershell' as const, path: script, name: 'setup.ps1' },
              { kind: 'restart' as const, name: 'step-2' },
            ];
      const text = builtinPackerTemplate({
        request: req,
        auth,
        steps,
        galleryVersion: '1.0.1',
        requiredPlugins: !version.startsWith('1.6.'),
        tags: { createdBy: 'vmImageLifecycle', 'build.number': '20261125.1' },
      });
      assert.doesNotMatch(text, /client_secret\s*=\s*"/, 'no secret value in the template');
      const templatePath = path.join(dir, `${name.replace(/\W+/g, '-')}.pkr.hcl`);
      fs.writeFileSync(templatePath, text);
      await packerValidate({
        packer: { path: packerPath, version },
        templatePath,
        env: {
          ARM_SUBSCRIPTION_ID: SUB,
          ARM_TENANT_ID: SUB,
          ARM_CLIENT_ID: SUB,
          ARM_CLIENT_SECRET: 'not-a-real-secret',
          ARM_CLIENT_JWT: JWT_SHAPED,
        },
      });
    });
  }

  it('the check bites: a template packer refuses is an error naming the template input', async () => {
    const templatePath = path.join(dir, 'broken.pkr.hcl');
    fs.writeFileSync(
      templatePath,
      'source "azure-arm" "x" {\n  os_type = "Solaris"\n}\nbuild { sources = ["source.azure-arm.x"] }\n',
    );
    await assert.rejects(
      packerValidate({ packer: { path: packerPath, version }, templatePath, env: {} }),
      /Input 'templatePath': packer validate failed/,
    );
  });
});
