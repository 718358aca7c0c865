import * as tl from 'azure-pipelines-task-lib/task';
import type { Logger } from '../azure/logger';

/** The library's Logger over the agent log: debug only shows with system.debug. */
export const taskLogger: Logger = {
  debug: (m) => tl.debug(m),
  info: (m) => console.log(m),
  warn: (m) => tl.warning(m),
  error: (m) => tl.error(m),
};
