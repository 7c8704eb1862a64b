/** A vitest setup file: this test process claims its port slice (once) and draws cluster ports from it. */
import { setPortRange } from '../../src/sandbox/local-cluster.ts';
import { claimSlice, portSlice, sliceRange } from './port-slice.ts';

const KEY = Symbol.for('redis-medic.port-slice');
const held = globalThis as { [KEY]?: number };
held[KEY] ??= (await claimSlice(portSlice())).slice;
setPortRange(sliceRange(held[KEY]));
