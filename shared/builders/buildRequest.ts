import type { Customization, OsType } from './customizations';
import type { SourceImage } from './sourceImage';

/** Where the built image goes: a managed image, a gallery (definition or exact version), a VHD blob; at least one. */
export interface Distribution {
  managedImageId?: string;
  /** A gallery image definition id (the next version is chosen) or a version id. */
  galleryImageId?: string;
  replicationRegions: string[];
  excludeFromLatest?: boolean;
  /** A blob URL (no SAS) the image is also written to as a fixed VHD. */
  vhdUrl?: string;
}

/** What both builders build from: the typed options the task hands to `shared/builders`. */
export interface BuildRequest {
  resourceGroup: string;
  location: string;
  source: SourceImage;
  osType: OsType;
  customizations: Customization[];
  /** Apply the shipped hardening baseline after the customizations. */
  baseline: boolean;
  distribution: Distribution;
  timeoutSeconds: number;
  vmSize: string;
  osDiskSizeGB?: number;
  /** An existing subnet for the build VM (no public IP). */
  subnetId?: string;
}

/** The steps that run, baseline included: what the summary lists. */
export function stepNames(request: BuildRequest, baselineName?: string): string[] {
  return [...request.customizations.map((c) => c.name), ...(baselineName ? [baselineName] : [])];
}
