// Builds the function bundles once before any test file runs: the e2e tests run the bundles (for local
// runs: with the embedded store's native module; the deployment rehearsal builds its own for FC).
import { buildAll } from '../scripts/build.ts';

export default async function setup(): Promise<void> {
  await buildAll({ local: true });
}
