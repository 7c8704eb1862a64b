import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FINDING_RULES } from '../../../src/core/topology/findings/index.ts';
import * as nobodyAnswered from '../../../src/core/topology/findings/nobody-answered.ts';
import { ruleContext } from '../../../src/core/topology/findings/shared.ts';
import { analyzeTopology, buildTopology, FindingCodes } from '../../../src/core/topology/index.ts';
import { STRAY_KEYS_CODE } from '../../../src/core/topology/stray-keys.ts';
import type { Topology } from '../../../src/core/types.ts';
import { nodesFixture, probesFromListing } from './helpers.ts';

/** Every code analyzeTopology produced before its rules moved to findings/<rule>.ts. */
const EVERY_CODE = [...Object.values(FindingCodes), STRAY_KEYS_CODE];

const declared = new Set([...FINDING_RULES.flatMap((r) => r.codes), ...nobodyAnswered.codes]);

function fixtureTopologies(): Topology[] {
  const dir = fileURLToPath(new URL('../../fixtures/cluster-nodes/', import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .flatMap((name) => {
      try {
        const probes = probesFromListing(nodesFixture(name));
        return [buildTopology(name, probes, { takenAt: 1_700_000_000_000 })];
      } catch {
        return [];
      }
    });
}

describe('the list of finding rules', () => {
  it('covers every finding code analyzeTopology produces', () => {
    expect(EVERY_CODE.filter((c) => !declared.has(c))).toEqual([]);
  });

  it('declares no code outside the known ones', () => {
    expect([...declared].filter((c) => !EVERY_CODE.includes(c as never))).toEqual([]);
  });

  it('gives each rule only the codes it declares, on every recorded listing', () => {
    const topologies = fixtureTopologies();
    expect(topologies.length).toBeGreaterThan(10);
    for (const t of topologies) {
      const ctx = ruleContext(t, {});
      for (const rule of FINDING_RULES) {
        for (const f of rule.find(t, ctx)) expect(rule.codes).toContain(f.code);
      }
      // analyzeTopology is the rules' findings, sorted by severity.
      expect(analyzeTopology(t).length).toBe(FINDING_RULES.flatMap((r) => r.find(t, ctx)).length);
    }
  });
});
