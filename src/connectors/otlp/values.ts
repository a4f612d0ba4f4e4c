/**
 * The scalar pieces of OTLP that arrive differently per encoding and per producer: ids (hex strings in JSON, bytes in
 * protobuf), 64-bit integers (decimal strings from the Collector, numbers from the JS SDK, Long from protobufjs) and
 * AnyValue attributes. Both decoders hand their records to these, so JSON and protobuf map the same way.
 */

/** protobufjs decodes 64-bit fields to Long objects (the `long` package), JSON gives strings or numbers */
export type Int64Like = string | number | { toNumber(): number };
export type IdLike = string | Uint8Array;

export interface AnyValueLike {
  /** protobufjs: the name of the member of the `value` oneof that is set (its other members read as defaults) */
  value?: unknown;
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64Like | null;
  doubleValue?: number | string | null;
  arrayValue?: { values?: (AnyValueLike | null)[] | null } | null;
  kvlistValue?: { values?: (KeyValueLike | null)[] | null } | null;
  bytesValue?: string | Uint8Array | null;
}
export interface KeyValueLike {
  key?: string | null;
  value?: AnyValueLike | null;
}
export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

const HEX_TRACE_ID = /^[0-9a-fA-F]{32}$/;
const HEX_SPAN_ID = /^[0-9a-fA-F]{16}$/;
const ALL_ZERO = /^0+$/;

/** A trace id as lowercase hex, or undefined when it is not 16 bytes or all zero (the spec calls those invalid). */
export function traceIdHex(id: IdLike | null | undefined): string | undefined {
  return idHex(id, 16, HEX_TRACE_ID);
}
export function spanIdHex(id: IdLike | null | undefined): string | undefined {
  return idHex(id, 8, HEX_SPAN_ID);
}
/** an absent parent is empty (bytes) or "" (JSON); a malformed one is reported as such */
export function parentSpanIdHex(id: IdLike | null | undefined): { ok: true; id: string | undefined } | { ok: false } {
  if (id === null || id === undefined || id.length === 0) return { ok: true, id: undefined };
  const hex = spanIdHex(id);
  return hex ? { ok: true, id: hex } : { ok: false };
}

function idHex(id: IdLike | null | undefined, bytes: number, pattern: RegExp): string | undefined {
  if (id === null || id === undefined) return undefined;
  let hex: string;
  if (typeof id === 'string') {
    if (!pattern.test(id)) return undefined;
    hex = id.toLowerCase();
  } else {
    if (id.length !== bytes) return undefined;
    hex = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
  }
  return ALL_ZERO.test(hex) ? undefined : hex;
}

/** nanoseconds since the epoch → milliseconds (fractional: sub-millisecond spans keep their duration) */
export function nanosToMs(nanos: Int64Like | null | undefined): number {
  return int64ToNumber(nanos) / 1e6;
}

export function int64ToNumber(v: Int64Like | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v === '' ? 0 : Number(v);
  return v.toNumber();
}

/** JSON writes the non-finite doubles as strings */
function doubleToNumber(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

/**
 * Our attributes are flat scalars: arrays and key-value lists become their JSON text, bytes their base64 (as the
 * OTLP/JSON mapping writes them), so nothing a producer sends is lost, only flattened.
 */
export function anyValueToAttribute(v: AnyValueLike | null | undefined): AttributeValue | undefined {
  const plain = anyValueToPlain(v);
  if (plain === undefined || plain === null) return undefined;
  if (typeof plain === 'string' || typeof plain === 'number' || typeof plain === 'boolean') return plain;
  return JSON.stringify(plain);
}

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

function anyValueToPlain(v: AnyValueLike | null | undefined): Plain | undefined {
  if (!v) return undefined;
  const which = typeof v.value === 'string' ? v.value : presentMember(v);
  switch (which) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'intValue':
      return int64ToNumber(v.intValue);
    case 'doubleValue':
      return doubleToNumber(v.doubleValue ?? 0);
    case 'bytesValue':
      return typeof v.bytesValue === 'string' ? v.bytesValue : Buffer.from(v.bytesValue ?? []).toString('base64');
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map((item) => anyValueToPlain(item) ?? null);
    case 'kvlistValue': {
      const out: Record<string, Plain> = {};
      for (const kv of v.kvlistValue?.values ?? []) if (kv?.key) out[kv.key] = anyValueToPlain(kv.value) ?? null;
      return out;
    }
    default:
      return undefined;
  }
}

const MEMBERS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

function presentMember(v: AnyValueLike): string | undefined {
  return MEMBERS.find((m) => v[m] !== undefined && v[m] !== null);
}

export function attributesToRecord(list: readonly (KeyValueLike | null)[] | null | undefined): Attributes {
  const out: Attributes = {};
  if (!list) return out;
  for (const kv of list) {
    if (!kv?.key) continue;
    const value = anyValueToAttribute(kv.value);
    if (value !== undefined) out[kv.key] = value;
  }
  return out;
}

/** one attribute's string value, without converting the whole list (the resource's service.name, host.name) */
export function stringAttribute(list: readonly (KeyValueLike | null)[] | null | undefined, key: string): string | undefined {
  if (!list) return undefined;
  for (const kv of list) {
    if (kv?.key !== key) continue;
    const value = anyValueToAttribute(kv.value);
    return value === undefined ? undefined : String(value);
  }
  return undefined;
}

/** what the SDKs report when a process sets no service.name */
export const UNKNOWN_SERVICE = 'unknown_service';
