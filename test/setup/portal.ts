import { buildPortal, portalIsStale } from '../../scripts/portal-build.js';

/** Tests that open portal pages need the built portal; build it once when it is stale. */
export default async function setup(): Promise<void> {
  if (portalIsStale()) await buildPortal();
}
