import * as tl from 'azure-pipelines-task-lib/task';

/**
 * Publishes a JUnit file to the run's Tests tab (`##vso[results.publish type=JUnit;…]`): the agent uploads it
 * after the task, so a failing check shows as a failed test with its message.
 */
export function publishJUnit(file: string, runTitle: string): void {
  new tl.TestPublisher('JUnit').publish([file], 'false', '', '', runTitle, 'true');
}
