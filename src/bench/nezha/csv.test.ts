import { describe, expect, it } from 'vitest';
import { CsvRecordReader, parseCsv, parseCsvLine } from './csv.js';

describe('RFC 4180 CSV', () => {
  it('splits plain fields and keeps empty ones', () => {
    expect(parseCsvLine('a,b,,d')).toEqual(['a', 'b', '', 'd']);
    expect(parseCsvLine('')).toEqual(['']);
  });
  it('reads quoted fields with commas, doubled quotes and JSON', () => {
    const line = 'x,"{""log"":""16:42 INFO a#1 [q, r]\\n"",""stream"":""stdout""}",y';
    const [a, json, b] = parseCsvLine(line);
    expect(a).toBe('x');
    expect(b).toBe('y');
    expect(JSON.parse(json!)).toEqual({ log: '16:42 INFO a#1 [q, r]\n', stream: 'stdout' });
  });
  it('joins a quoted field that spans lines', () => {
    const r = new CsvRecordReader();
    expect(r.push('1,"first')).toBeNull();
    expect(r.push('second",3')).toEqual(['1', 'first\nsecond', '3']);
    expect(r.push('4,5')).toEqual(['4', '5']);
  });
  it('maps records to the header', () => {
    expect(parseCsv('A,B\n1,"x,y"\n2,z\n')).toEqual([{ A: '1', B: 'x,y' }, { A: '2', B: 'z' }]);
  });
});
