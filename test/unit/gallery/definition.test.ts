import assert from 'node:assert/strict';
import type { GalleryImage } from '@azure/arm-compute';
import { diffDefinition, featuresFor } from '../../../shared/gallery/definition/diff';
import { validateDefinitionSpec, type ImageDefinitionSpec } from '../../../shared/gallery/definition/spec';
import { validateGalleryName, validateImageDefinitionName } from '../../../shared/gallery/definition/names';

const SPEC: ImageDefinitionSpec = {
  osType: 'Linux',
  osState: 'Generalized',
  hyperVGeneration: 'V2',
  architecture: 'x64',
  securityType: 'TrustedLaunchSupported',
  acceleratedNetworking: true,
  diskControllerTypes: ['SCSI', 'NVMe'],
  publisher: 'contoso',
  offer: 'ubuntu',
  sku: '24_04-lts',
  description: 'hardened',
  tags: { team: 'platform' },
};

const EXISTING: GalleryImage = {
  location: 'westeurope',
  osType: 'Linux',
  osState: 'Generalized',
  hyperVGeneration: 'V2',
  architecture: 'x64',
  identifier: { publisher: 'contoso', offer: 'ubuntu', sku: '24_04-lts' },
  description: 'hardened',
  features: featuresFor(SPEC),
  tags: { team: 'platform' },
};

describe('image definition reconcile (pure)', () => {
  it('finds nothing to do when Azure already holds what was asked', () => {
    assert.deepEqual(diffDefinition(EXISTING, SPEC), { immutableMismatches: [], changes: [] });
  });

  it('reports immutable mismatches with the input to change, and updatable changes separately', () => {
    const diff = diffDefinition(EXISTING, {
      ...SPEC,
      osType: 'Windows',
      sku: 'other',
      description: 'new',
      acceleratedNetworking: false,
    });
    assert.deepEqual(
      diff.immutableMismatches.map((m) => [m.property, m.input, m.existing, m.requested]),
      [
        ['osType', 'osType', 'Linux', 'Windows'],
        ['identifier.sku', 'sku', '24_04-lts', 'other'],
      ],
    );
    assert.deepEqual(diff.changes, [
      "description: 'hardened' -> 'new'",
      'feature IsAcceleratedNetworkSupported: true -> false',
    ]);
  });

  it('treats a missing SecurityType feature as Standard, as Azure does', () => {
    const diff = diffDefinition(
      { ...EXISTING, features: [] },
      { ...SPEC, securityType: 'Standard', acceleratedNetworking: undefined, diskControllerTypes: [] },
    );
    assert.deepEqual(diff.immutableMismatches, []);
  });

  it('writes the features Azure expects', () => {
    assert.deepEqual(featuresFor(SPEC), [
      { name: 'SecurityType', value: 'TrustedLaunchSupported' },
      { name: 'IsAcceleratedNetworkSupported', value: 'true' },
      { name: 'DiskControllerTypes', value: 'SCSI,NVMe' },
    ]);
  });

  const bad: [string, Partial<ImageDefinitionSpec>, RegExp][] = [
    [
      'Trusted Launch on V1',
      { hyperVGeneration: 'V1', diskControllerTypes: [] },
      /Input 'securityType': TrustedLaunchSupported needs Hyper-V generation V2/,
    ],
    [
      'Arm64 on V1',
      { hyperVGeneration: 'V1', securityType: 'Standard', architecture: 'Arm64', diskControllerTypes: [] },
      /Input 'architecture'/,
    ],
    [
      'NVMe on V1',
      { hyperVGeneration: 'V1', securityType: 'Standard' },
      /Input 'diskControllerTypes': NVMe disk controllers need Hyper-V generation V2/,
    ],
    [
      'unknown controller',
      { diskControllerTypes: ['IDE'] },
      /Input 'diskControllerTypes': 'IDE' is not a disk controller type/,
    ],
    ['publisher with a space', { publisher: 'con toso' }, /Input 'publisher'/],
    [
      'end of life in the past',
      { endOfLifeDate: new Date('2020-01-01T00:00:00Z') },
      /Input 'endOfLifeDate': .* is in the past/,
    ],
  ];
  for (const [what, override, message] of bad) {
    it(`refuses ${what}`, () =>
      assert.throws(() => validateDefinitionSpec({ ...SPEC, ...override }), message));
  }

  it('checks gallery and definition names as Azure does', () => {
    assert.doesNotThrow(() => validateGalleryName('galleryName', 'corp_images.v2'));
    for (const name of ['corp-images', '.corp', 'corp.', 'x'.repeat(81)]) {
      assert.throws(() => validateGalleryName('galleryName', name), /Input 'galleryName'/);
    }
    assert.doesNotThrow(() => validateImageDefinitionName('imageDefinition', 'ubuntu-24.04_lts'));
    assert.throws(() => validateImageDefinitionName('imageDefinition', 'ubuntu-'), /Input 'imageDefinition'/);
  });
});
