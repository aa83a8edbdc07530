/**
 * The "E" of obfs4 spec §4: the number of hours since the UNIX epoch, as a decimal string, appended to the MAC
 * input. obfs4proxy computes it as time.Now().Unix() / 3600 (whole seconds, then Go's truncating division) and
 * formats it with strconv.FormatInt(·, 10). The server accepts E-1, E and E+1 for clock skew.
 */

/** Milliseconds in one epoch hour. */
export const EPOCH_HOUR_MS = 3_600_000;
/** How many hours of clock skew the server tolerates on each side (obfs4 spec §4: "E = {E - 1, E, E + 1}"). */
export const EPOCH_HOUR_SKEW = 1;

/** A clock in milliseconds since the UNIX epoch (Date.now's shape); injectable for tests. */
export type Clock = () => number;

/** The default clock. */
export const systemClock: Clock = () => Date.now();

/** Hours since the UNIX epoch at `nowMs`, rounded the way obfs4proxy's getEpochHour rounds. */
export function epochHour(nowMs: number): number {
  if (!Number.isFinite(nowMs)) throw new RangeError(`clock returned a non-finite time: ${nowMs}`);
  const unixSeconds = Math.floor(nowMs / 1000);
  const hour = Math.trunc(unixSeconds / 3600);
  return hour === 0 ? 0 : hour; // no -0: it would print as "0" anyway, but keep the number canonical
}

/** The epoch hour as the decimal string that goes into the MAC ("0", "487000", "-1"). */
export function epochHourString(hour: number): string {
  if (!Number.isSafeInteger(hour)) throw new RangeError(`epoch hour must be a safe integer, got ${hour}`);
  return String(hour);
}
