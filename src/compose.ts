/** The composition root: every part is built once in src/compose/ (parts, roles); this is its front door. */
export { composeApp, ROLE_PARTS } from './compose/app.ts';
export { probeControlRedis } from './compose/probe-control.ts';
export type { AppRole, ComposedApp, ComposeExtra, ComposeOptions } from './compose/types.ts';
