import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/**
 * RFC 4180 CSV, streamed: fields separated by commas, optionally quoted with `"`, a quote inside a quoted field
 * doubled (`""`), and quoted fields may hold commas, JSON and line breaks (a record then spans several lines).
 */

/** Feeds lines; returns the record once the line completes one, else null (a quoted field is still open). */
export class CsvRecordReader {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  private pending = false;

  push(line: string): string[] | null {
    if (this.pending) this.field += '\n';
    let i = 0;
    const n = line.length;
    while (i < n) {
      const ch = line.charCodeAt(i);
      if (this.inQuotes) {
        if (ch === 34 /* " */) {
          if (line.charCodeAt(i + 1) === 34) {
            this.field += '"';
            i += 2;
            continue;
          }
          this.inQuotes = false;
          i++;
          continue;
        }
        // copy the run up to the next quote in one slice
        const q = line.indexOf('"', i);
        const end = q < 0 ? n : q;
        this.field += line.slice(i, end);
        i = end;
        continue;
      }
      if (ch === 44 /* , */) {
        this.fields.push(this.field);
        this.field = '';
        i++;
      } else if (ch === 34 && this.field === '') {
        this.inQuotes = true;
        i++;
      } else {
        const c = line.indexOf(',', i);
        const end = c < 0 ? n : c;
        this.field += line.slice(i, end);
        i = end;
      }
    }
    if (this.inQuotes) {
      this.pending = true;
      return null;
    }
    this.fields.push(this.field);
    const out = this.fields;
    this.fields = [];
    this.field = '';
    this.pending = false;
    return out;
  }
}

/** Parses one complete CSV line (no embedded line breaks). */
export function parseCsvLine(line: string): string[] {
  const r = new CsvRecordReader().push(line.replace(/\r$/, ''));
  if (!r) throw new Error('unterminated quoted field');
  return r;
}

/** Records of a CSV text as objects keyed by the header row (for small inputs and tests). */
export function parseCsv(text: string): Record<string, string>[] {
  const reader = new CsvRecordReader();
  let header: string[] | null = null;
  const out: Record<string, string>[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!header && line === '') continue;
    const rec = reader.push(line);
    if (!rec) continue;
    if (!header) header = rec;
    else if (!(rec.length === 1 && rec[0] === '')) out.push(toObject(header, rec));
  }
  return out;
}

function toObject(header: string[], rec: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < header.length; i++) o[header[i]!] = rec[i] ?? '';
  return o;
}

/** Streams the records of a CSV file (gunzipped when the name ends in .gz) as header-keyed objects. */
export async function* readCsv(file: string): AsyncGenerator<Record<string, string>> {
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  const reader = new CsvRecordReader();
  let header: string[] | null = null;
  try {
    for await (const line of lines) {
      const rec = reader.push(line);
      if (!rec) continue;
      if (!header) {
        header = rec.map((h) => h.replace(/^\uFEFF/, ''));
        continue;
      }
      if (rec.length === 1 && rec[0] === '') continue;
      yield toObject(header, rec);
    }
  } finally {
    lines.close();
    raw.destroy();
  }
}
