import { InputError } from '../../validation/inputError';
import type { VersionSource } from './source';

/** What an image definition fixes for every version (Azure cannot change it). */
export interface DefinitionFacts {
  name: string;
  osType: string;
  hyperVGeneration: string;
  architecture: string;
  /** The SecurityType feature; 'Standard' when absent. */
  securityType: string;
  location: string;
}

const same = (a: string | undefined, b: string) => !a || a.toLowerCase() === b.toLowerCase();

/**
 * Everything Azure would refuse only after accepting the request (or, worse, after replicating): the source and
 * the definition must agree on OS, generation and architecture; a Trusted Launch or confidential definition does
 * not take a managed image; the source must be in the gallery's region. Checked before any write.
 */
export function checkSourceAgainstDefinition(source: VersionSource, definition: DefinitionFacts): void {
  const fail = (why: string): never => {
    throw new InputError('source', `${source.ref} ${why}`);
  };
  if (!same(source.osType, definition.osType)) {
    fail(
      `is a ${source.osType} ${source.kind}, but image definition '${definition.name}' is ${definition.osType}`,
    );
  }
  if (!same(source.hyperVGeneration, definition.hyperVGeneration)) {
    fail(
      `is Hyper-V generation ${source.hyperVGeneration}, but image definition '${definition.name}' is ${definition.hyperVGeneration}; ` +
        'a generation cannot be converted: publish into a definition of the same generation',
    );
  }
  if (!same(source.architecture, definition.architecture)) {
    fail(
      `is ${source.architecture}, but image definition '${definition.name}' is ${definition.architecture}`,
    );
  }
  if (definition.securityType !== 'Standard' && source.kind === 'managedImage') {
    fail(
      `is a managed image, which Azure does not accept as the source of a version of '${definition.name}' ` +
        `(security type ${definition.securityType}); publish from the managed disk or snapshot the image was made from, or a VHD`,
    );
  }
  if (
    /^Confidential/i.test(definition.securityType) &&
    source.securityType &&
    !/^Confidential/i.test(source.securityType)
  ) {
    fail(`has security type ${source.securityType}, but '${definition.name}' needs a confidential VM source`);
  }
  if (source.location && source.location.toLowerCase() !== definition.location.toLowerCase()) {
    fail(
      `is in ${source.location}, but the gallery is in ${definition.location}: Azure publishes only from the gallery's region; ` +
        'copy the source there first (CopyImage) or use a gallery in its region',
    );
  }
}
