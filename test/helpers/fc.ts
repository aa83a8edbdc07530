import type { Parameters } from "fast-check";

/**
 * Property-test parameters: a fixed seed in CI (override with FC_SEED to
 * reproduce or explore) and at least 10,000 runs per decoder there. Failing
 * seeds are printed by fast-check in the failure message.
 */
export const FC_SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x5eed;

export function fcParams<T>(numRuns = 10_000, extra: Parameters<T> = {}): Parameters<T> {
  return { seed: FC_SEED, numRuns, ...extra };
}
