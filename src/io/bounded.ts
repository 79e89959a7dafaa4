/**
 * File-system calls many at once, but stopping at the first failure (review-setimp L4). `Promise.all`
 * rejects at the first failure while the others go on: the caller then starts undoing (a swap's rollback
 * removes the staging folder) with calls still in flight under it, and a batch runner starts nothing new
 * only because the whole batch had already started. These settle only when every call they started has
 * settled, start no call after the first failure, and then throw that failure.
 */

/**
 * `fn` over `items`, at most `limit` at once, started in order. After the first failure no further item is
 * started; the promise settles once every started call has, rejecting with the first failure.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  // The workers never reject (each failure is kept above), so this waits for every one of them.
  await Promise.all(Array.from({ length: Math.min(Math.max(1, Math.floor(limit)), items.length) }, worker));
  if (failure) throw failure.err;
}
