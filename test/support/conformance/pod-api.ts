/** One suite every PodApi must pass: what the scanner (listPods) and the restart-pod step rely on. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asCodedError } from '../../../src/core/errors.ts';
import type { PodApi } from '../../../src/core/ports.ts';
import type { PodInfo } from '../../../src/core/types.ts';

/** One PodApi over pods the suite knows. */
export interface PodApiSubject {
  api: PodApi;
  namespace: string;
  /** The label selector of the cluster's pods (as in a cluster definition's `k8s.selector`). */
  selector: string;
  /** Names of the pods the selector matches. */
  pods: string[];
  /** A pod of the namespace the selector leaves out, when the setup has one. */
  outsider?: string;
  /** Whether Redis answers at an address: a recreated pod must run a server there again. */
  answers?(ip: string, port: number): Promise<boolean>;
  /** How long a deleted pod may take to be Running again. Default 30 s. */
  recreateTimeoutMs?: number;
  close(): Promise<void>;
}

/** Runs the PodApi contract against `make()`, a fresh subject per test. */
export function describePodApiConformance(name: string, make: () => Promise<PodApiSubject>): void {
  describe(`PodApi conformance: ${name}`, () => {
    let s: PodApiSubject;
    beforeEach(async () => {
      s = await make();
    });
    afterEach(async () => {
      await s.close();
    });

    const list = () => s.api.listPods(s.namespace, s.selector);
    /** getPod when the implementation has it, else the per-pod label restart-pod falls back to. */
    const byName = async (pod: string): Promise<PodInfo | null> => {
      if (s.api.getPod) return s.api.getPod(s.namespace, pod);
      const found = await s.api.listPods(s.namespace, `statefulset.kubernetes.io/pod-name=${pod}`);
      return found.find((p) => p.name === pod) ?? null;
    };

    it('lists exactly the pods of the selector, running, each with an IP and a Redis port', async () => {
      const pods = await list();
      expect(pods.map((p) => p.name).sort()).toEqual([...s.pods].sort());
      for (const p of pods) {
        expect(p).toMatchObject({ namespace: s.namespace, phase: 'Running' });
        expect(p.ip, p.name).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(p.port, p.name).toBeGreaterThan(0);
        expect(p.restarts, p.name).toBeGreaterThanOrEqual(0);
        expect(typeof p.ready, p.name).toBe('boolean');
      }
      if (s.outsider) expect(pods.map((p) => p.name)).not.toContain(s.outsider);
    });

    it('lists nothing in another namespace or for a selector nothing matches', async () => {
      expect(await s.api.listPods(`${s.namespace}-elsewhere`, s.selector)).toEqual([]);
      expect(await s.api.listPods(s.namespace, 'app.kubernetes.io/name=no-such-app')).toEqual([]);
    });

    it('reads one pod by name as the list shows it, and null for a pod that does not exist', async () => {
      const [first] = await list();
      expect(first).toBeDefined();
      expect(await byName(first!.name)).toEqual(first);
      expect(await byName('no-such-pod-0')).toBeNull();
    });

    it('finds a pod by its per-pod StatefulSet label (restart-pod without getPod)', async () => {
      const pod = s.pods[0]!;
      const found = await s.api.listPods(s.namespace, `statefulset.kubernetes.io/pod-name=${pod}`);
      expect(found.map((p) => p.name)).toEqual([pod]);
    });

    it('deletes a pod, which comes back under its name as a new pod, running with an IP; the others stay', async () => {
      const before = await list();
      const victim = before.find((p) => p.name === s.pods[0])!;
      const others = before.filter((p) => p !== victim);
      await s.api.deletePod(s.namespace, victim.name);
      // Right after the delete the old pod never shows as if nothing happened.
      const right = await byName(victim.name);
      if (right && right.uid === victim.uid) expect(right.phase).not.toBe('Running');
      let back: PodInfo | null = null;
      await expect
        .poll(
          async () => {
            back = await byName(victim.name);
            return back !== null && back.uid !== victim.uid && back.phase === 'Running' && back.ip !== null;
          },
          { timeout: s.recreateTimeoutMs ?? 30_000, interval: 100 },
        )
        .toBe(true);
      const again = back as PodInfo | null;
      expect(again?.createdAt ?? 0).toBeGreaterThanOrEqual(victim.createdAt ?? 0);
      if (s.answers) expect(await s.answers(again!.ip!, again!.port)).toBe(true);
      const now = await list();
      expect(now.map((p) => p.name).sort()).toEqual([...s.pods].sort());
      for (const o of others) expect(now.find((p) => p.name === o.name)?.uid, o.name).toBe(o.uid);
    });

    it('refuses to delete a pod that does not exist with a CodedError of status 404', async () => {
      const err = await s.api.deletePod(s.namespace, 'no-such-pod-0').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'the delete of an unknown pod resolved').toBeDefined();
      // restart-pod reads the 404 as "deleted meanwhile" (src/app/steps/restart-pod.ts).
      expect(asCodedError(err).details?.status).toBe(404);
      expect(asCodedError(err).code).not.toBe('UNEXPECTED');
    });

    it('refuses a selector it cannot read with a CodedError', async () => {
      const err = await s.api.listPods(s.namespace, 'app=(').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'a garbled selector was listed').toBeDefined();
      expect(asCodedError(err).code).not.toBe('UNEXPECTED');
    });
  });
}
