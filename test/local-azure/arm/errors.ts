import type { LocalAnswer } from '../http';

/** ARM's error body: `{ error: { code, message, target?, details? } }`. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
  ) {
    super(message);
  }

  toAnswer(): LocalAnswer {
    return {
      status: this.status,
      body: {
        error: { code: this.code, message: this.message, ...(this.target ? { target: this.target } : {}) },
      },
    };
  }
}

export const armErrors = {
  notFound: (type: string, name: string, rg?: string) =>
    new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${rg ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  resourceGroupNotFound: (rg: string) =>
    new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`),
  subscriptionNotFound: (sub: string) =>
    new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`),
  parentNotFound: (parent: string) =>
    new ArmError(
      404,
      'ParentResourceNotFound',
      `Can not perform requested operation on nested resource. Parent resource '${parent}' not found.`,
    ),
  invalidParameter: (message: string, target?: string) =>
    new ArmError(400, 'InvalidParameter', message, target),
  missingApiVersion: () =>
    new ArmError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    ),
  conflict: (message: string) => new ArmError(409, 'Conflict', message),
  propertyChangeNotAllowed: (property: string) =>
    new ArmError(
      409,
      'PropertyChangeNotAllowed',
      `Changing property '${property}' is not allowed.`,
      property,
    ),
  noProvider: (type: string) =>
    new ArmError(
      404,
      'NoRegisteredProviderFound',
      `No registered resource provider found for resource type '${type}'.`,
    ),
  invalidToken: (why: string) => new ArmError(401, 'InvalidAuthenticationToken', why),
  missingToken: () =>
    new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
    ),
};
