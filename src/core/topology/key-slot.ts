/** The hash slot of a key (CRC16 of the key or its hash tag, mod 16384), binary-safe: cluster-key-slot, as ioredis uses. */
import clusterKeySlot from 'cluster-key-slot';

/** The slot of a key given as bytes (or as UTF-8 text). */
export function keySlot(key: Uint8Array | string): number {
  return clusterKeySlot(key);
}
