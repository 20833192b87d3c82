/**
 * How much an agent takes on: live keeps, and the memory they are promised (each keep's memory
 * cap plus what the runtime itself needs), per tenant and for the whole agent. A request over a
 * quota is refused before anything is spawned (429, ERR_TOO_MANY_KEEPS / ERR_MEMORY_QUOTA).
 */
import { HostError } from './errors.js';

/** What a keep costs besides its workload's memory cap: the engine, its worker, the package. */
export const KEEP_OVERHEAD_BYTES = 64 * 1024 * 1024;

/** An agent's quotas; an absent field is unlimited. */
export interface Quotas {
  /** Live keeps of the whole agent. */
  readonly maxKeeps?: number;
  /** Live keeps of one tenant. */
  readonly maxKeepsPerTenant?: number;
  /** Memory promised to the live keeps of the whole agent, in bytes. */
  readonly memoryBytes?: number;
  /** Memory promised to the live keeps of one tenant, in bytes. */
  readonly memoryBytesPerTenant?: number;
}

/** What one live keep holds of the quotas. */
export interface Holding {
  readonly tenant: string;
  readonly memoryBytes: number;
}

/** The memory a keep with this memory cap is promised. */
export function promisedMemory(maxMemoryBytes: number): number {
  return maxMemoryBytes + KEEP_OVERHEAD_BYTES;
}

const gib = (n: number): string => `${(n / 1024 ** 3).toFixed(2)} GiB`;

/**
 * Checks that `wanted` fits beside what `held` already holds. @throws HostError
 * ERR_TOO_MANY_KEEPS or ERR_MEMORY_QUOTA, saying which quota and how much is left
 */
export function checkQuotas(quotas: Quotas, held: Iterable<Holding>, wanted: Holding): void {
  let keeps = 0;
  let tenantKeeps = 0;
  let memory = 0;
  let tenantMemory = 0;
  for (const h of held) {
    keeps++;
    memory += h.memoryBytes;
    if (h.tenant === wanted.tenant) {
      tenantKeeps++;
      tenantMemory += h.memoryBytes;
    }
  }
  if (quotas.maxKeepsPerTenant !== undefined && tenantKeeps >= quotas.maxKeepsPerTenant) {
    throw new HostError('ERR_TOO_MANY_KEEPS', `this tenant has ${tenantKeeps} live keeps, as many as this host allows a tenant (${quotas.maxKeepsPerTenant})`);
  }
  if (quotas.maxKeeps !== undefined && keeps >= quotas.maxKeeps) {
    throw new HostError('ERR_TOO_MANY_KEEPS', `this host has ${keeps} live keeps, as many as it runs (${quotas.maxKeeps})`);
  }
  if (quotas.memoryBytesPerTenant !== undefined && tenantMemory + wanted.memoryBytes > quotas.memoryBytesPerTenant) {
    throw new HostError(
      'ERR_MEMORY_QUOTA',
      `the keep would be promised ${gib(wanted.memoryBytes)}; this tenant has ${gib(Math.max(0, quotas.memoryBytesPerTenant - tenantMemory))} left of its ${gib(quotas.memoryBytesPerTenant)} (ask for less with --max-memory)`,
    );
  }
  if (quotas.memoryBytes !== undefined && memory + wanted.memoryBytes > quotas.memoryBytes) {
    throw new HostError(
      'ERR_MEMORY_QUOTA',
      `the keep would be promised ${gib(wanted.memoryBytes)}; this host has ${gib(Math.max(0, quotas.memoryBytes - memory))} left of its ${gib(quotas.memoryBytes)} (ask for less with --max-memory)`,
    );
  }
}
