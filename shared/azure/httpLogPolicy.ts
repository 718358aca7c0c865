import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { Logger } from './logger';
import { redactUrl } from './redact';

/**
 * `system.debug` logging: one line per HTTP call with what Azure support asks for (request and correlation
 * ids). Bodies are not logged: grantAccess answers carry SAS URLs and token answers carry tokens.
 */
export function httpLogPolicy(logger: Logger): PipelinePolicy {
  return {
    name: 'vmImageLifecycleHttpLog',
    async sendRequest(request, next) {
      const started = Date.now();
      try {
        const response = await next(request);
        const h = response.headers;
        logger.debug(
          `HTTP ${request.method} ${redactUrl(request.url)} -> ${response.status} in ${Date.now() - started} ms` +
            ` (x-ms-request-id: ${h.get('x-ms-request-id') ?? '-'}, x-ms-correlation-request-id: ${
              h.get('x-ms-correlation-request-id') ?? '-'
            })`,
        );
        return response;
      } catch (e) {
        logger.debug(`HTTP ${request.method} ${redactUrl(request.url)} failed: ${(e as Error).message}`);
        throw e;
      }
    },
  };
}
