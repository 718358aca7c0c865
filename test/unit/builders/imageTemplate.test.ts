// The image template BuildImage sends Image Builder, for what the local build cannot run: Windows steps (elevated
// PowerShell, restarts, Windows Update), inline scripts, a user's own template file, and the timeout.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCustomizations, checkCustomizationsFor } from '../../../shared/builders/customizations';
import {
  imageTemplateFor,
  type ImageBuilderRequest,
} from '../../../shared/builders/imageBuilder/templateModel';
import { parseSourceImage } from '../../../shared/builders/sourceImage';

const SUB = '11111111-2222-3333-4444-555555555555';
const IDENTITY = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib`;

describe('Image Builder templates', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aib-template-'));
    fs.writeFileSync(path.join(dir, 'setup.ps1'), "Write-Output 'setup'\r\nexit 0\r\n");
    fs.writeFileSync(path.join(dir, 'setup.sh'), 'echo "a $HOME b"\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const request = (over: Partial<ImageBuilderRequest>): ImageBuilderRequest => ({
    resourceGroup: 'rg',
    location: 'westeurope',
    source: parseSourceImage('MicrosoftWindowsServer:WindowsServer:2022-datacenter-azure-edition:latest'),
    osType: 'Windows',
    customizations: [],
    baseline: false,
    distribution: {
      managedImageId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/win`,
      replicationRegions: [],
    },
    timeoutSeconds: 5 * 3600 + 1,
    vmSize: 'Standard_D4s_v5',
    identityId: IDENTITY,
    validations: [],
    ...over,
  });

  it('Windows steps: elevated PowerShell inline, a restart, Windows Update; the timeout in whole minutes beyond 240', () => {
    const steps = parseCustomizations(['setup.ps1', 'restart', 'windows-update'], { baseDirectory: dir });
    checkCustomizationsFor('Windows', steps);
    const t = imageTemplateFor(request({ customizations: steps }), 'win-build', new Map(), {
      createdBy: 'x',
    });
    assert.deepEqual(t.customize, [
      {
        type: 'PowerShell',
        name: 'setup.ps1',
        inline: ["Write-Output 'setup'", 'exit 0'],
        runElevated: true,
      },
      { type: 'WindowsRestart', name: 'step-2', restartTimeout: '10m' },
      {
        type: 'WindowsUpdate',
        name: 'step-3',
        searchCriteria: 'IsInstalled=0',
        filters: ["exclude:$_.Title -like '*Preview*'", 'include:$true'],
        updateLimit: 40,
      },
    ]);
    assert.equal(t.buildTimeoutInMinutes, 301);
    assert.deepEqual(t.identity, { type: 'UserAssigned', userAssignedIdentities: { [IDENTITY]: {} } });
    assert.deepEqual(t.source, {
      type: 'PlatformImage',
      publisher: 'MicrosoftWindowsServer',
      offer: 'WindowsServer',
      sku: '2022-datacenter-azure-edition',
      version: 'latest',
    });
    assert.deepEqual(t.errorHandling, { onCustomizerError: 'cleanup', onValidationError: 'cleanup' });
  });

  it('a staged script is referenced by URL and SHA-256; an inline shell script keeps its text and runs under sh', () => {
    const [step] = parseCustomizations(['setup.sh'], { baseDirectory: dir });
    const staged = new Map([
      [step.kind === 'shell' ? step.path : '', { url: 'https://a/b?sig=x', sha256: 'ab' }],
    ]);
    const linux = request({
      osType: 'Linux',
      customizations: [step],
      source: parseSourceImage('a:b:c:1.0.0'),
    });
    assert.deepEqual(imageTemplateFor(linux, 't', staged, {}).customize, [
      { type: 'Shell', name: 'setup.sh', scriptUri: 'https://a/b?sig=x', sha256Checksum: 'ab' },
    ]);
    const inline = imageTemplateFor(linux, 't', new Map(), {}).customize![0] as { inline: string[] };
    assert.deepEqual(inline.inline, [
      "cat > '/tmp/vm-image-lifecycle-setup.sh' <<'VM_IMAGE_LIFECYCLE_EOF'",
      'echo "a $HOME b"',
      'VM_IMAGE_LIFECYCLE_EOF',
      "sh '/tmp/vm-image-lifecycle-setup.sh'",
    ]);
  });

  it("a user's template keeps its source, steps and targets; identity, location and timeout come from the inputs", () => {
    const own = {
      tags: { team: 'platform' },
      properties: {
        source: {
          type: 'ManagedImage',
          imageId: '/subscriptions/x/resourceGroups/r/providers/Microsoft.Compute/images/base',
        },
        customize: [{ type: 'Shell', name: 'own', inline: ['echo own'] }],
        distribute: [{ type: 'VHD', runOutputName: 'own-vhd' }],
        errorHandling: { onCustomizerError: 'abort' },
      },
    };
    const t = imageTemplateFor(request({ userTemplate: own, osType: 'Linux' }), 't', new Map(), {
      createdBy: 'x',
    });
    assert.deepEqual(t.source, own.properties.source);
    assert.deepEqual(t.distribute, own.properties.distribute);
    assert.deepEqual(t.customize, own.properties.customize);
    assert.deepEqual(t.errorHandling, { onCustomizerError: 'abort' });
    assert.deepEqual(t.tags, { team: 'platform', createdBy: 'x' });
    assert.equal(t.location, 'westeurope');
    assert.equal(t.buildTimeoutInMinutes, 301);
  });

  it('the timeout is capped at the service’s 16 hours, and a shell script on Windows is refused', () => {
    assert.equal(
      imageTemplateFor(request({ timeoutSeconds: 20 * 3600 }), 't', new Map(), {}).buildTimeoutInMinutes,
      960,
    );
    const steps = parseCustomizations(['setup.sh'], { baseDirectory: dir });
    assert.throws(
      () => checkCustomizationsFor('Windows', steps),
      /Input 'customizationScripts'.*shell script.*Windows/,
    );
  });

  it('source images: URNs with latest or a version, resource ids; anything else names the input', () => {
    assert.deepEqual(parseSourceImage('Canonical:ubuntu-24_04-lts:server:24.04.202611120'), {
      kind: 'platform',
      publisher: 'Canonical',
      offer: 'ubuntu-24_04-lts',
      sku: 'server',
      version: '24.04.202611120',
    });
    assert.equal(
      parseSourceImage(
        `/subscriptions/${SUB}/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0`,
      ).kind,
      'galleryVersion',
    );
    assert.throws(
      () => parseSourceImage('Canonical:ubuntu:server:newest'),
      /Input 'sourceImage': version 'newest'/,
    );
    assert.throws(
      () => parseSourceImage(`/subscriptions/${SUB}/resourceGroups/r/providers/Microsoft.Compute/disks/d`),
      /Input 'sourceImage': expected a managed image or a gallery image version/,
    );
  });
});
