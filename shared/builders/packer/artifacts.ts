import type { PackerEvent } from './machineReadable';

/** One artifact of a build, as `artifact,<index>,<key>,<value>` events describe it. */
export interface PackerArtifact {
  target: string;
  builderId?: string;
  id?: string;
  text?: string;
}

/** What an azure-arm artifact made: read from its `string` (key: value lines), whichever plugin version wrote it. */
export interface AzureArtifactIds {
  managedImageId?: string;
  galleryImageVersionId?: string;
  vhdUri?: string;
  /** Read-only SAS URIs some versions print: secrets. */
  sasUris: string[];
}

export class ArtifactCollector {
  private readonly byKey = new Map<string, PackerArtifact>();

  add(event: PackerEvent): void {
    if (event.type !== 'artifact') return;
    const [index, key, ...value] = event.data;
    const k = `${event.target}#${index}`;
    const artifact = this.byKey.get(k) ?? { target: event.target };
    const text = value.join(',');
    if (key === 'builder-id') artifact.builderId = text;
    else if (key === 'id') artifact.id = text;
    else if (key === 'string') artifact.text = text;
    this.byKey.set(k, artifact);
  }

  get artifacts(): PackerArtifact[] {
    return [...this.byKey.values()];
  }
}

export const AZURE_ARM_BUILDER_ID = 'Azure.ResourceManagement.VMImage';

export function azureArtifactIds(artifact: PackerArtifact): AzureArtifactIds {
  const fields = new Map<string, string>();
  for (const line of (artifact.text ?? '').split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9 ()-]*?):\s+(.+)$/.exec(line.trim());
    if (m) fields.set(m[1], m[2].trim());
  }
  const sasUris = [...fields.entries()].filter(([k]) => /Sas$/i.test(k)).map(([, v]) => v);
  const managedImageId = fields.get('ManagedImageId');
  return {
    managedImageId,
    galleryImageVersionId: fields.get('ManagedImageSharedImageGalleryId'),
    // VHDOSDiskUri in current plugins; OSDiskUri in older ones, where it means the VHD unless a managed image
    // was made (then it is the kept OS disk).
    vhdUri: fields.get('VHDOSDiskUri') ?? (managedImageId ? undefined : fields.get('OSDiskUri')),
    sasUris,
  };
}
