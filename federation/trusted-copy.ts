/**
 * A copy of something read whole (a list of part of the KV store), trusted
 * for `trustMs`: the first asker after that reads it again, and whoever asks
 * meanwhile waits for that same read. A read that fails is not kept: its
 * askers get the error, the next one reads again.
 */
export interface TrustedCopy<T> {
  current(): Promise<T>;
  /** The last copy read, however old; undefined before the first. */
  latest(): T | undefined;
}

export function trustedCopy<T>(read: () => Promise<T>, trustMs: number, now: () => number): TrustedCopy<T> {
  let copy: { value: T; readAt: number } | undefined;
  let reading: Promise<T> | undefined;
  return {
    current() {
      if (copy && now() - copy.readAt < trustMs) return Promise.resolve(copy.value);
      reading ??= read().then((value) => {
        copy = { value, readAt: now() };
        return value;
      }).finally(() => {
        reading = undefined;
      });
      return reading;
    },
    latest: () => copy?.value,
  };
}
