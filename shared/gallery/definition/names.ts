import { InputError } from '../../validation/inputError';

/** Azure's rule for gallery names: letters, digits, '_' and '.', 1..80, not starting or ending with '.'. */
export function validateGalleryName(input: string, name: string): void {
  if (!/^[A-Za-z0-9]([A-Za-z0-9_.]{0,78}[A-Za-z0-9_])?$/.test(name)) {
    throw new InputError(
      input,
      `'${name}' is not a valid gallery name: use 1 to 80 letters, digits, '_' and '.', starting with a letter or digit and not ending with '.' (no '-')`,
    );
  }
}

/** Image definition names may also hold '-'. */
export function validateImageDefinitionName(input: string, name: string): void {
  if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/.test(name)) {
    throw new InputError(
      input,
      `'${name}' is not a valid image definition name: use 1 to 80 letters, digits, '_', '-' and '.', starting with a letter or digit and ending with a letter, digit or '_'`,
    );
  }
}
