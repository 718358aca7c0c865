/** The one naming scheme of this product's events: what happened to an image version, as subscribers filter on it. */
export const EVENT_TYPES = [
  'VMImageLifecycle.ImageVersionReady',
  'VMImageLifecycle.ImageVersionPromoted',
  'VMImageLifecycle.ImageVersionRetired',
] as const;
export type ImageEventType = (typeof EVENT_TYPES)[number];
