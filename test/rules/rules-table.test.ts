/**
 * docs/rules.md is generated from the rule pack (sigma-rules/tools/rules-table.ts); this
 * suite fails when the committed table and the rules disagree, so the SOC's table of
 * rules, levels and ATT&CK techniques cannot drift from what runs.
 */
import * as fs from 'fs';
import { readRuleFiles, renderRulesTable, ruleRows, TABLE_FILE } from '../../sigma-rules/tools/rules-table';

describe('docs/rules.md', () => {
  const files = readRuleFiles();

  it('equals the table generated from sigma-rules/docker (run npx tsx sigma-rules/tools/rules-table.ts)', () => {
    expect(fs.readFileSync(TABLE_FILE, 'utf8')).toBe(renderRulesTable(files));
  });

  it('has one row per rule document, each with an id, a level and the fields it reads', () => {
    const rows = ruleRows(files);
    const documents = files.reduce((n, f) => n + f.text.split(/^---$/m).length, 0);
    expect(rows).toHaveLength(documents);
    expect(rows.length).toBeGreaterThanOrEqual(40);
    for (const r of rows) {
      expect([r.id, r.level !== '', r.fields.length > 0]).toEqual([
        expect.stringMatching(/^[0-9a-f-]{36}$/),
        true,
        true,
      ]);
      // a row a SOC analyst reads: reported rules name their ATT&CK techniques
      if (r.kind !== 'building block') expect([r.name, r.techniques.length > 0]).toEqual([r.name, true]);
    }
  });

  it('escapes pipes inside cells so a regular expression cannot split a row', () => {
    const text = renderRulesTable([
      {
        file: 'x.yml',
        text: [
          'title: A | B',
          'id: 00000000-0000-4000-8000-000000000000',
          'name: a_b',
          'tags: [attack.t1610]',
          'detection: { s: { "process.command_line|re": "a|b" }, condition: s }',
          'falsepositives: ["x | y"]',
          'level: low',
        ].join('\n'),
      },
    ]);
    const row = text.split('\n').find((l) => l.includes('00000000-0000-4000-8000-000000000000')) ?? '';
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(8);
    expect(row).toContain('A \\| B');
  });
});
