// Builds the function bundles once before any test file runs: the e2e tests run what is deployed.
import { buildAll } from '../scripts/build.ts';

export default async function setup(): Promise<void> {
  await buildAll();
}
