import { describe, expect, it } from 'vitest';
import { parseCsv, parseCsvObjects, toCsv } from './loghub-csv.js';
import { normalizeTemplate, scoreParsing } from './loghub-metrics.js';

describe('scoreParsing', () => {
  it('computes GA, FGA, PA and FTA on a hand-made example', () => {
    // ground truth: A×3, B×2, C×1
    const truth = ['open <*>', 'open <*>', 'open <*>', 'close <*> now', 'close <*> now', 'reset'];
    // parsed: A grouped right with the right template; B grouped right, wrong template; C merged into A's? no:
    // C parsed on its own with the right template, but one B-line template differs in wording only.
    const parsed = ['open <*>', 'open <*>', 'open <*>', 'close <*> <*>', 'close <*> <*>', 'reset'];
    const s = scoreParsing(truth, parsed);
    expect(s.GA).toBe(1); // every group intact
    expect(s.FGA).toBe(1);
    expect(s.PA).toBeCloseTo(4 / 6, 10); // the two B lines have the wrong template
    // FTA: 2 correct templates of 3 parsed and 3 true → P = R = 2/3
    expect(s.FTA).toBeCloseTo(2 / 3, 10);
  });

  it('counts split and merged groups as wrong', () => {
    const truth = ['a <*>', 'a <*>', 'a <*>', 'b <*>', 'b <*>', 'c'];
    // A split in two, B merged with C
    const parsed = ['a <*>', 'a <*>', 'a x', 'b <*>', 'b <*>', 'b <*>'];
    const s = scoreParsing(truth, parsed);
    expect(s.GA).toBe(0);
    expect(s.FGA).toBe(0);
    expect(s.PA).toBeCloseTo(4 / 6, 10);
    expect(s.FTA).toBe(0);
    expect(s.parsedTemplates).toBe(3);
    expect(s.truthTemplates).toBe(3);
  });

  it('groups by template string and normalises <*> runs and spaces', () => {
    expect(normalizeTemplate(' x  <*><*>:<*> ')).toBe('x <*>:<*>');
    const s = scoreParsing(['x <*>', 'x <*>', 'y'], ['x <*><*>', 'x  <*>', 'y']);
    expect(s).toMatchObject({ GA: 1, PA: 1, FTA: 1 });
  });
});

describe('parseCsv', () => {
  it('reads RFC 4180 quoting, embedded commas, quotes and line breaks', () => {
    const text = 'LineId,Content,EventTemplate\r\n1,"a, b","say ""hi"""\n2,plain,"two\nlines"\n3,,\n';
    expect(parseCsv(text)).toEqual([
      ['LineId', 'Content', 'EventTemplate'],
      ['1', 'a, b', 'say "hi"'],
      ['2', 'plain', 'two\nlines'],
      ['3', '', ''],
    ]);
    expect(parseCsvObjects(text)[0]).toEqual({ LineId: '1', Content: 'a, b', EventTemplate: 'say "hi"' });
  });

  it('round-trips what it writes', () => {
    const rows = [['1', 'x,"y"', ' lead', 'multi\nline']];
    expect(parseCsv(toCsv(['a', 'b', 'c', 'd'], rows))).toEqual([['a', 'b', 'c', 'd'], ...rows]);
  });
});
