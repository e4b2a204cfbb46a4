/** A set of keys that forgets its oldest members beyond `max`: no input can grow it without end. */
export interface BoundedSet {
  has(key: string): boolean;
  /** Adds `key` as the newest member, forgetting the oldest ones beyond the cap. */
  add(key: string): void;
  readonly size: number;
}

export function createBoundedSet(max: number): BoundedSet {
  const cap = Math.max(1, Math.floor(max));
  const keys = new Set<string>();
  return {
    has: (key) => keys.has(key),
    add(key) {
      keys.delete(key);
      keys.add(key);
      for (const oldest of keys) {
        if (keys.size <= cap) break;
        keys.delete(oldest);
      }
    },
    get size() {
      return keys.size;
    },
  };
}
