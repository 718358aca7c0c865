/**
 * Tasks whose work has not landed yet still validate every input, so a pipeline written against them fails
 * for the right reason; then they fail plainly instead of pretending to succeed.
 */
export function notAvailableYet(task: string): never {
  throw new Error(
    `${task} is not available yet in this version of the extension: its inputs and service connection were validated, nothing was changed in Azure.`,
  );
}
