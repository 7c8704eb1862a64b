import { describe, expect, it } from 'vitest';
import { parseClustersFile } from '../../src/clusters-file.ts';

describe('clusters file with Sentinels', () => {
  it('reads the sentinels and the master name of a plain master/replica set', () => {
    const r = parseClustersFile(
      [
        'clusters:',
        '  - name: carts',
        '    seeds: [10.0.0.21:6379]',
        '    sentinels: [10.0.0.31:26379, 10.0.0.32:26379, 10.0.0.33:26379]',
        '    sentinelMaster: mymaster',
      ].join('\n'),
    );
    expect(r).toEqual({
      ok: true,
      value: [
        {
          name: 'carts',
          seeds: ['10.0.0.21:6379'],
          auth: {},
          sentinels: ['10.0.0.31:26379', '10.0.0.32:26379', '10.0.0.33:26379'],
          sentinelMaster: 'mymaster',
        },
      ],
    });
  });

  it('refuses a sentinel that is not host:port', () => {
    const r = parseClustersFile(
      'clusters:\n  - name: carts\n    seeds: [10.0.0.21:6379]\n    sentinels: [sentinel-0]\n',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('clusters[0] (carts).sentinels[0]: expected host:port');
  });
});
