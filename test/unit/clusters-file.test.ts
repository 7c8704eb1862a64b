import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clusterDefinitionsFromConfig,
  loadClustersFile,
  parseClustersFile,
} from '../../src/clusters-file.ts';
import { loadConfig } from '../../src/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'clusters-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function problems(text: string, env: NodeJS.ProcessEnv = {}): string {
  const r = parseClustersFile(text, { env });
  if (r.ok) throw new Error('expected problems');
  return r.error;
}

describe('the clusters file', () => {
  describe('when it is valid', () => {
    it('gives one definition per cluster, with seeds, pod selector and password from env or a Secret file', () => {
      const secret = secretFile('sessions-password', 's3cret-from-file\n');
      const r = parseClustersFile(
        `
clusters:
  - name: payments
    seeds: [10.0.0.11:6379, 10.0.0.12:6379]
    password: { env: PAYMENTS_REDIS_PASSWORD }
  - name: sessions
    namespace: redis-sessions
    username: medic
    password: { file: ${secret} }
  - name: cache
    namespace: cache
    selector: app=cache,tier in (a,b)
`,
        { env: { PAYMENTS_REDIS_PASSWORD: 'from-env' } },
      );
      expect(r).toEqual({
        ok: true,
        value: [
          { name: 'payments', seeds: ['10.0.0.11:6379', '10.0.0.12:6379'], auth: { password: 'from-env' } },
          {
            name: 'sessions',
            seeds: [],
            auth: { username: 'medic', password: 's3cret-from-file' },
            k8s: { namespace: 'redis-sessions', selector: 'app.kubernetes.io/name=redis-cluster' },
          },
          {
            name: 'cache',
            seeds: [],
            auth: {},
            k8s: { namespace: 'cache', selector: 'app=cache,tier in (a,b)' },
          },
        ],
      });
    });

    it('is loaded from the path CLUSTERS_FILE names, in place of REDIS_CLUSTER_NODES', () => {
      const file = secretFile('clusters.yaml', 'clusters:\n  - name: a\n    seeds: ["127.0.0.1:7000"]\n');
      const config = loadConfig({ CONTROL_REDIS_URL: 'redis://127.0.0.1:6379', CLUSTERS_FILE: file });
      if (!config.ok) throw new Error(config.problems.join('\n'));
      expect(clusterDefinitionsFromConfig(config.config)).toEqual([
        { name: 'a', seeds: ['127.0.0.1:7000'], auth: {} },
      ]);
    });
  });

  describe('without a clusters file', () => {
    it('makes one cluster from REDIS_CLUSTER_NODES, REDIS_PASSWORD and K8S_*', () => {
      const config = loadConfig({
        CONTROL_REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001',
        REDIS_PASSWORD: 'pw',
        CLUSTER_NAME: 'prod',
        K8S_ENABLED: 'true',
        K8S_NAMESPACE: 'redis',
      });
      if (!config.ok) throw new Error(config.problems.join('\n'));
      expect(clusterDefinitionsFromConfig(config.config)).toEqual([
        {
          name: 'prod',
          seeds: ['127.0.0.1:7000', '127.0.0.1:7001'],
          auth: { password: 'pw' },
          k8s: { namespace: 'redis', selector: 'app.kubernetes.io/name=redis-cluster' },
        },
      ]);
    });
  });

  describe('when it is wrong, it says where and what is expected', () => {
    it('refuses text that is not YAML', () => {
      expect(problems('clusters: [\n  - name: a')).toMatch(/^not valid YAML: /);
    });

    it('refuses a file without clusters', () => {
      expect(problems('{}')).toContain('clusters: expected a list of clusters');
      expect(problems('clusters: []')).toContain('clusters: expected at least one cluster');
    });

    it('refuses a cluster with neither seeds nor namespace', () => {
      expect(problems('clusters:\n  - name: lonely\n')).toBe(
        'clusters[0] (lonely): needs seeds (host:port list) or a namespace (pods by selector)',
      );
    });

    it('refuses a bad seed and a bad name', () => {
      const p = problems('clusters:\n  - name: Bad_Name\n    seeds: [nohost, "h:99999"]\n');
      expect(p).toContain('clusters[0] (Bad_Name).name: expected lowercase letters, digits, -');
      expect(p).toContain('clusters[0] (Bad_Name).seeds[0]: expected host:port');
      expect(p).toContain('clusters[0] (Bad_Name).seeds[1]: port out of range');
    });

    it('refuses an unknown field, so a typo does not go unnoticed', () => {
      expect(problems('clusters:\n  - name: a\n    seed: [h:1]\n')).toContain('clusters[0] (a)');
    });

    it('refuses a password written in the file, without repeating it', () => {
      const p = problems('clusters:\n  - name: a\n    seeds: [h:1]\n    password: hunter2\n');
      expect(p).toContain('clusters[0] (a).password: do not write passwords in this file');
      expect(p).not.toContain('hunter2');
    });

    it('refuses a password reference with both env and file', () => {
      expect(
        problems('clusters:\n  - name: a\n    seeds: [h:1]\n    password: { env: X, file: /y }\n'),
      ).toContain('clusters[0] (a).password');
    });

    it('names the environment variable that is not set', () => {
      expect(problems('clusters:\n  - name: a\n    seeds: [h:1]\n    password: { env: A_PASSWORD }\n')).toBe(
        'clusters[0] (a).password: environment variable A_PASSWORD is not set',
      );
    });

    it('names the Secret file it cannot read', () => {
      expect(
        problems(
          `clusters:\n  - name: a\n    seeds: [h:1]\n    password: { file: ${join(dir, 'missing')} }\n`,
        ),
      ).toBe(`clusters[0] (a).password: cannot read ${join(dir, 'missing')} (ENOENT)`);
    });

    it('refuses the same name twice', () => {
      expect(problems('clusters:\n  - name: a\n    seeds: [h:1]\n  - name: a\n    seeds: [h:2]\n')).toBe(
        'clusters[1] (a).name: "a" is used twice',
      );
    });

    it('throws CONFIG_INVALID naming the file', () => {
      expect(() => loadClustersFile(join(dir, 'nope.yaml'))).toThrow(
        /CLUSTERS_FILE: cannot read .*nope\.yaml \(ENOENT\)/,
      );
      const bad = secretFile('bad.yaml', 'clusters:\n  - name: x\n');
      try {
        loadClustersFile(bad);
        expect.unreachable();
      } catch (err) {
        expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
        expect((err as Error).message).toBe(
          `CLUSTERS_FILE (${bad}): clusters[0] (x): needs seeds (host:port list) or a namespace (pods by selector)`,
        );
      }
    });
  });
});
