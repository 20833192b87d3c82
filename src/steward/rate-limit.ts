/**
 * A token bucket per client address: each address may send `burst` requests at once and
 * `perSecond` a second after that. The table is bounded: when it is full, buckets that have
 * refilled (their address was quiet long enough) are forgotten first, and an address that cannot
 * get a bucket is refused, so a flood of spoofed-looking addresses costs bounded memory.
 */

/** Limits of {@link RateLimiter}. */
export interface RateLimits {
  readonly perSecond: number;
  readonly burst: number;
  /** Most addresses tracked at once. Default 65 536. */
  readonly maxAddresses?: number;
}

/** The default: 50 requests a second per address after a burst of 200. */
export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({ perSecond: 50, burst: 200 });

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets per address. */
export class RateLimiter {
  readonly #limits: Required<RateLimits>;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limits: RateLimits = DEFAULT_RATE_LIMITS) {
    if (!(limits.perSecond > 0) || !(limits.burst >= 1)) throw new TypeError('rate limits must be positive');
    this.#limits = { maxAddresses: 65_536, ...limits };
  }

  /** Takes one token for `address`; false when it has none left. */
  take(address: string, now = Date.now()): boolean {
    let b = this.#buckets.get(address);
    if (b === undefined) {
      if (this.#buckets.size >= this.#limits.maxAddresses && !this.#sweep(now)) return false;
      b = { tokens: this.#limits.burst, at: now };
      this.#buckets.set(address, b);
    }
    b.tokens = Math.min(this.#limits.burst, b.tokens + ((now - b.at) / 1000) * this.#limits.perSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets buckets that are full again; true when that made room. */
  #sweep(now: number): boolean {
    const refill = (this.#limits.burst / this.#limits.perSecond) * 1000;
    for (const [address, b] of this.#buckets) if (now - b.at >= refill) this.#buckets.delete(address);
    return this.#buckets.size < this.#limits.maxAddresses;
  }
}
