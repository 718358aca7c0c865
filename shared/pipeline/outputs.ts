import * as tl from 'azure-pipelines-task-lib/task';

/** Output variables are declared in task.json `outputVariables`; later steps read them as `$(step.name)`. */
export function setOutput(name: string, value: string): void {
  tl.setVariable(name, value, false, true);
}
