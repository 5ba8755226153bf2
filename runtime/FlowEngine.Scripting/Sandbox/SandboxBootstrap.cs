using Acornima.Ast;
using Jint;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>
/// The JavaScript half of the sandbox, run once in every new engine: Node.js's <c>Buffer</c> (a <c>Uint8Array</c>
/// subclass, as in Node), <c>util</c>, <c>console</c>, timers, the context objects, <c>env</c>, <c>RED.util</c> and
/// the <c>node</c> object of Node-RED's function node. It receives the C# natives and returns the helpers the host
/// calls; user scripts never see either object.
/// </summary>
/// <remarks>
/// Written against the behaviour Node.js and Node-RED document (argument forms, error codes and texts), not
/// their sources. Helpers capture the built-ins they use at start, so a script that replaces a global or a
/// prototype method breaks only its own code, not the plumbing.
/// </remarks>
internal static class SandboxBootstrap
{
    public const string SourceName = "sandbox";

    /// <summary>Parsed once per process: the text is a constant and a prepared script is immutable and thread-safe.</summary>
    public static readonly Prepared<Script> Prepared = Engine.PrepareScript(Source, SourceName);

    public const string Source = """
(function (native, info) {
'use strict';
const G = globalThis;
const ObjectCreate = Object.create, ObjectKeys = Object.keys, defineProperty = Object.defineProperty;
const isArray = Array.isArray, isInteger = Number.isInteger, MathMin = Math.min, MathMax = Math.max, MathFloor = Math.floor;
const JSONstringify = JSON.stringify, PromiseCtor = Promise, ErrorCtor = Error, TypeErrorCtor = TypeError, RangeErrorCtor = RangeError;
const U8 = Uint8Array, AB = ArrayBuffer, DV = DataView;
const SAB = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : AB;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const encodeURIComponent = G.encodeURIComponent, decodeURIComponent = G.decodeURIComponent;

// ---------------------------------------------------------------- errors shaped like Node's
function codedError(Ctor, code, message) { const e = new Ctor(message); e.code = code; return e; }
function describe(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  const t = typeof v;
  if (t === 'function') return 'function ' + (v.name || '');
  if (t === 'object') return v.constructor && v.constructor.name ? 'an instance of ' + v.constructor.name : 'an object';
  let s = t === 'string' ? "'" + (v.length > 25 ? v.slice(0, 25) + '...' : v) + "'" : String(v);
  return 'type ' + t + ' (' + s + ')';
}
function argType(name, expected, actual) {
  return codedError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE', 'The "' + name + '" argument must be ' + expected + '. Received ' + describe(actual));
}
function outOfRange(name, range, actual) {
  return codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE', 'The value of "' + name + '" is out of range. It must be ' + range + '. Received ' + String(actual));
}
function outOfBounds(name) {
  return codedError(RangeErrorCtor, 'ERR_BUFFER_OUT_OF_BOUNDS', name ? '"' + name + '" is outside of buffer bounds' : 'Attempt to access memory outside buffer bounds');
}

// ---------------------------------------------------------------- Buffer (made on first use)
let BufferImpl;
function getBuffer() { if (BufferImpl === undefined) BufferImpl = makeBuffer(); return BufferImpl; }
function isBuffer(v) { return BufferImpl !== undefined && v instanceof BufferImpl; }
function makeBuffer() {
const ENCODINGS = { 'utf8': 'utf8', 'utf-8': 'utf8', 'hex': 'hex', 'base64': 'base64', 'base64url': 'base64url',
  'ascii': 'ascii', 'latin1': 'latin1', 'binary': 'latin1', 'ucs2': 'utf16le', 'ucs-2': 'utf16le',
  'utf16le': 'utf16le', 'utf-16le': 'utf16le' };
function encodingOf(enc) {
  if (enc === undefined || enc === null || enc === '') return 'utf8';
  const e = ENCODINGS[String(enc).toLowerCase()];
  if (e === undefined) throw codedError(TypeErrorCtor, 'ERR_UNKNOWN_ENCODING', 'Unknown encoding: ' + enc);
  return e;
}
function checkSize(size) {
  if (typeof size !== 'number') throw argType('size', 'of type number', size);
  if (!(size >= 0 && size <= 0x7fffffff)) throw outOfRange('size', '>= 0 && <= 2147483647', size);
}
function bytesOf(text, enc) { return new U8(native.encode(String(text), enc)); }

class Buffer extends U8 {
  constructor(arg, encodingOrOffset, length) {
    if (typeof arg === 'number') { if (!((arg >>> 0) === arg && arg <= 0x7fffffff)) checkSize(arg); super(arg); }
    else if (typeof arg === 'string') { super(native.encode(arg, encodingOf(encodingOrOffset))); }
    else if (arg instanceof AB || arg instanceof SAB) { super(arg, encodingOrOffset, length); }
    else { super(arg); }
  }
  static from(value, encodingOrOffset, length) {
    if (typeof value === 'string') return new Buffer(native.encode(value, encodingOf(encodingOrOffset)));
    if (value instanceof AB || value instanceof SAB) {
      const offset = encodingOrOffset === undefined ? 0 : +encodingOrOffset || 0;
      if (offset > value.byteLength) throw outOfBounds('offset');
      const len = length === undefined ? value.byteLength - offset : +length || 0;
      if (offset + len > value.byteLength) throw outOfBounds('length');
      return new Buffer(value, offset, len);
    }
    if (value instanceof U8) { const b = new Buffer(value.length); b.set(value); return b; }
    if (value !== null && typeof value === 'object') {
      if (ArrayBuffer.isView(value)) return new Buffer(new U8(value.buffer, value.byteOffset, value.byteLength));
      if (isArray(value) || typeof value.length === 'number') { const b = new Buffer(value.length >>> 0); for (let i = 0; i < b.length; i++) b[i] = value[i]; return b; }
      if (value.type === 'Buffer' && isArray(value.data)) return Buffer.from(value.data);
      const prim = typeof value[Symbol.toPrimitive] === 'function' ? value[Symbol.toPrimitive]('string') : value.valueOf();
      if (prim !== value && prim !== null && prim !== undefined) return Buffer.from(prim, encodingOrOffset, length);
    }
    throw argType('first argument', 'of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object', value);
  }
  static alloc(size, fill, encoding) {
    if (!(typeof size === 'number' && (size >>> 0) === size && size <= 0x7fffffff)) checkSize(size);
    const b = new Buffer(size);
    if (fill !== undefined && fill !== 0 && size > 0) b.fill(fill, encoding);
    return b;
  }
  static allocUnsafe(size) { checkSize(size); return new Buffer(size); }
  static allocUnsafeSlow(size) { checkSize(size); return new Buffer(size); }
  static isBuffer(b) { return b instanceof Buffer; }
  static isEncoding(enc) { return typeof enc === 'string' && enc.length > 0 && ENCODINGS[enc.toLowerCase()] !== undefined; }
  static byteLength(value, encoding) {
    if (typeof value === 'string') return native.byteLength(value, encodingOf(encoding));
    if (value instanceof AB || value instanceof SAB || ArrayBuffer.isView(value)) return value.byteLength;
    throw argType('string', 'of type string or an instance of Buffer or ArrayBuffer', value);
  }
  static concat(list, totalLength) {
    if (!isArray(list)) throw argType('list', 'an instance of Array', list);
    if (list.length === 0) return new Buffer(0);
    if (totalLength === undefined) {
      totalLength = 0;
      for (let i = 0; i < list.length; i++) {
        if (!(list[i] instanceof U8)) throw argType('list[' + i + ']', 'an instance of Buffer or Uint8Array', list[i]);
        totalLength += list[i].length;
      }
    }
    const out = Buffer.alloc(totalLength);
    let pos = 0;
    for (let i = 0; i < list.length && pos < totalLength; i++) {
      const item = list[i];
      if (!(item instanceof U8)) throw argType('list[' + i + ']', 'an instance of Buffer or Uint8Array', item);
      const n = MathMin(item.length, totalLength - pos);
      out.set(n === item.length ? item : item.subarray(0, n), pos);
      pos += n;
    }
    return out;
  }
  static compare(a, b) {
    if (!(a instanceof U8)) throw argType('buf1', 'an instance of Buffer or Uint8Array', a);
    if (!(b instanceof U8)) throw argType('buf2', 'an instance of Buffer or Uint8Array', b);
    return compareBytes(a, 0, a.length, b, 0, b.length);
  }
  toString(encoding, start, end) {
    const len = this.length;
    if (encoding === undefined && start === undefined && end === undefined) return native.decode(this, 'utf8');
    const enc = encodingOf(encoding);
    start = start === undefined || start <= 0 ? 0 : MathFloor(+start) || 0;
    end = end === undefined || end > len ? len : MathFloor(+end) || 0;
    if (start >= len || end <= start) return '';
    return native.decode(start === 0 && end === len ? this : this.subarray(start, end), enc);
  }
  toLocaleString(encoding, start, end) { return this.toString(encoding, start, end); }
  toJSON() { return { type: 'Buffer', data: Array.from(this) }; }
  equals(other) {
    if (!(other instanceof U8)) throw argType('otherBuffer', 'an instance of Buffer or Uint8Array', other);
    return compareBytes(this, 0, this.length, other, 0, other.length) === 0;
  }
  compare(target, targetStart, targetEnd, sourceStart, sourceEnd) {
    if (!(target instanceof U8)) throw argType('target', 'an instance of Buffer or Uint8Array', target);
    targetStart = targetStart === undefined ? 0 : targetStart; targetEnd = targetEnd === undefined ? target.length : targetEnd;
    sourceStart = sourceStart === undefined ? 0 : sourceStart; sourceEnd = sourceEnd === undefined ? this.length : sourceEnd;
    if (targetStart < 0 || targetEnd > target.length) throw outOfRange('targetStart', '>= 0 and <= ' + target.length, targetStart);
    if (sourceStart < 0 || sourceEnd > this.length) throw outOfRange('sourceStart', '>= 0 and <= ' + this.length, sourceStart);
    return compareBytes(this, sourceStart, sourceEnd, target, targetStart, targetEnd);
  }
  copy(target, targetStart, sourceStart, sourceEnd) {
    if (!(target instanceof U8)) throw argType('target', 'an instance of Buffer or Uint8Array', target);
    targetStart = targetStart === undefined ? 0 : MathFloor(+targetStart) || 0;
    sourceStart = sourceStart === undefined ? 0 : MathFloor(+sourceStart) || 0;
    sourceEnd = sourceEnd === undefined ? this.length : MathFloor(+sourceEnd) || 0;
    if (targetStart < 0) throw outOfRange('targetStart', '>= 0', targetStart);
    if (sourceStart < 0) throw outOfRange('sourceStart', '>= 0', sourceStart);
    if (sourceEnd > this.length) sourceEnd = this.length;
    if (targetStart >= target.length || sourceStart >= sourceEnd) return 0;
    const n = MathMin(sourceEnd - sourceStart, target.length - targetStart);
    target.set(this.subarray(sourceStart, sourceStart + n), targetStart);
    return n;
  }
  // Node's slice is a view onto the same memory (unlike TypedArray.prototype.slice, which copies).
  slice(start, end) { return this.subarray(start, end); }
  write(string, offset, length, encoding) {
    if (typeof string !== 'string') throw argType('argument', 'of type string', string);
    if (offset === undefined) { offset = 0; length = this.length; encoding = 'utf8'; }
    else if (length === undefined && typeof offset === 'string') { encoding = offset; offset = 0; length = this.length; }
    else {
      offset = offset >>> 0;
      if (typeof length === 'string') { encoding = length; length = this.length - offset; }
      else if (length === undefined) length = this.length - offset;
      else length = length >>> 0;
    }
    if (offset > this.length) throw outOfBounds('offset');
    const bytes = bytesOf(string, encodingOf(encoding));
    const n = MathMin(bytes.length, length, this.length - offset);
    if (n > 0) this.set(n === bytes.length ? bytes : bytes.subarray(0, n), offset);
    return n;
  }
  fill(value, offset, end, encoding) {
    if (typeof offset === 'string') { encoding = offset; offset = 0; end = this.length; }
    else if (typeof end === 'string') { encoding = end; end = this.length; }
    offset = offset === undefined ? 0 : offset;
    end = end === undefined ? this.length : end;
    if (typeof offset !== 'number') throw argType('offset', 'of type number', offset);
    if (offset < 0 || offset > this.length) throw outOfRange('offset', '>= 0 and <= ' + this.length, offset);
    if (typeof end !== 'number') throw argType('end', 'of type number', end);
    if (end < 0 || end > this.length) throw outOfRange('end', '>= 0 and <= ' + this.length, end);
    if (end <= offset) return this;
    if (typeof value === 'number') return super.fill(value & 255, offset, end);
    if (typeof value === 'boolean') return super.fill(+value, offset, end);
    let bytes;
    if (typeof value === 'string') {
      if (value.length === 0) return super.fill(0, offset, end);
      bytes = bytesOf(value, encodingOf(encoding));
    } else if (value instanceof U8) bytes = value;
    else return super.fill(+value & 255, offset, end);
    if (bytes.length === 0) throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE', "The argument 'value' is invalid. Received " + describe(value));
    for (let i = offset, j = 0; i < end; i++) { this[i] = bytes[j]; if (++j === bytes.length) j = 0; }
    return this;
  }
  indexOf(value, byteOffset, encoding) { return searchBytes(this, value, byteOffset, encoding, true); }
  lastIndexOf(value, byteOffset, encoding) { return searchBytes(this, value, byteOffset, encoding, false); }
  includes(value, byteOffset, encoding) { return searchBytes(this, value, byteOffset, encoding, true) !== -1; }
  swap16() { return swap(this, 2); }
  swap32() { return swap(this, 4); }
  swap64() { return swap(this, 8); }
}
Buffer.poolSize = 8192;

function compareBytes(a, aStart, aEnd, b, bStart, bEnd) {
  const n = MathMin(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const x = a[aStart + i], y = b[bStart + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  const la = aEnd - aStart, lb = bEnd - bStart;
  return la === lb ? 0 : la < lb ? -1 : 1;
}
function searchBytes(buf, value, byteOffset, encoding, forward) {
  if (typeof byteOffset === 'string') { encoding = byteOffset; byteOffset = undefined; }
  const len = buf.length;
  let start;
  if (byteOffset === undefined || byteOffset === null || isNaN(+byteOffset)) start = forward ? 0 : len - 1;
  else { start = MathFloor(+byteOffset); if (start < 0) start += len; }
  let needle;
  if (typeof value === 'number') needle = [value & 255];
  else if (typeof value === 'string') needle = bytesOf(value, encodingOf(encoding));
  else if (value instanceof U8) needle = value;
  else throw argType('value', 'one of type number or string or an instance of Buffer or Uint8Array', value);
  const n = needle.length;
  if (forward) {
    if (start < 0) start = 0;
    if (n === 0) return start <= len ? start : len;
    for (let i = start; i <= len - n; i++) {
      let j = 0;
      while (j < n && buf[i + j] === needle[j]) j++;
      if (j === n) return i;
    }
  } else {
    if (start > len - n) start = len - n;
    if (n === 0) return MathMin(start, len);
    for (let i = start; i >= 0; i--) {
      let j = 0;
      while (j < n && buf[i + j] === needle[j]) j++;
      if (j === n) return i;
    }
  }
  return -1;
}
function swap(buf, size) {
  if (buf.length % size !== 0) throw codedError(RangeErrorCtor, 'ERR_INVALID_BUFFER_SIZE', 'Buffer size must be a multiple of ' + (size * 8) + '-bits');
  for (let i = 0; i < buf.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) { const t = buf[a]; buf[a] = buf[b]; buf[b] = t; }
  }
  return buf;
}

// Integer and float access, as Node's Buffer: offsets are checked and errors carry Node's codes and texts.
function checkOffset(buf, offset, size) {
  if (offset === undefined) offset = 0;
  if (typeof offset !== 'number') throw argType('offset', 'of type number', offset);
  if (!isInteger(offset)) throw outOfRange('offset', 'an integer', offset);
  const max = buf.length - size;
  if (offset < 0 || offset > max) {
    if (max < 0) throw outOfBounds();
    throw outOfRange('offset', '>= 0 and <= ' + max, offset);
  }
  return offset;
}
function checkByteLength(byteLength) {
  if (typeof byteLength !== 'number') throw argType('byteLength', 'of type number', byteLength);
  if (!isInteger(byteLength) || byteLength < 1 || byteLength > 6) throw outOfRange('byteLength', '>= 1 and <= 6', byteLength);
}
function checkValue(value, min, max, range) {
  value = +value;
  // As Node: NaN passes the check and is written as 0.
  if (value > max || value < min) throw outOfRange('value', range || ('>= ' + min + ' and <= ' + max), value);
  return value;
}
function readUnsigned(buf, offset, size, little) {
  let v = 0;
  if (little) { for (let i = size - 1; i >= 0; i--) v = v * 256 + buf[offset + i]; }
  else { for (let i = 0; i < size; i++) v = v * 256 + buf[offset + i]; }
  return v;
}
function writeUnsigned(buf, value, offset, size, little) {
  let v = value;
  for (let i = 0; i < size; i++) {
    const b = v % 256;
    buf[offset + (little ? i : size - 1 - i)] = b;
    v = (v - b) / 256;
  }
  return offset + size;
}
function toSigned(v, size) { const limit = 2 ** (size * 8 - 1); return v >= limit ? v - limit * 2 : v; }
function intRange(size, signed) {
  const bits = size * 8;
  if (!signed) return [0, 2 ** bits - 1, size > 4 ? '>= 0 and < 2 ** ' + bits : undefined];
  return [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1, size > 4 ? '>= -(2 ** ' + (bits - 1) + ') and < 2 ** ' + (bits - 1) : undefined];
}
const P = Buffer.prototype;
function method(name, fn, aliases) {
  defineProperty(P, name, { value: fn, writable: true, configurable: true, enumerable: false });
  if (aliases) for (const a of aliases) defineProperty(P, a, { value: fn, writable: true, configurable: true, enumerable: false });
}
// Fixed-size reads and writes go through a DataView kept on each Buffer: the engine's DataView does byte order and
// float conversion natively, far cheaper than byte-by-byte script. Offsets that are not plain in-range integers take
// the slow path, which throws Node's errors.
const VIEW = Symbol('view');
function viewOf(buf) {
  let v = buf[VIEW];
  if (v === undefined) {
    v = { dv: new DV(buf.buffer, buf.byteOffset, buf.byteLength), len: buf.length };
    defineProperty(buf, VIEW, { value: v });
  }
  return v;
}
function fixedAccess(name, size, getName, setName, min, max, range, aliasName) {
  const littleModes = size === 1 ? [true] : [true, false];
  for (const little of littleModes) {
    const suffix = size === 1 ? '' : (little ? 'LE' : 'BE');
    method('read' + name + suffix, function (offset) {
      const v = viewOf(this);
      if (offset === undefined) offset = 0;
      if (!(typeof offset === 'number' && (offset | 0) === offset && offset >= 0 && offset <= v.len - size)) offset = checkOffset(this, offset, size);
      return v.dv[getName](offset, little);
    }, aliasName ? ['read' + aliasName + suffix] : undefined);
    method('write' + name + suffix, function (value, offset) {
      const v = viewOf(this);
      if (offset === undefined) offset = 0;
      if (!(typeof offset === 'number' && (offset | 0) === offset && offset >= 0 && offset <= v.len - size)) offset = checkOffset(this, offset, size);
      value = +value;
      // As Node: NaN passes the check and is written as 0.
      if (value > max || value < min) throw outOfRange('value', range || ('>= ' + min + ' and <= ' + max), value);
      v.dv[setName](offset, value, little);
      return offset + size;
    }, aliasName ? ['write' + aliasName + suffix] : undefined);
  }
}
fixedAccess('UInt8', 1, 'getUint8', 'setUint8', 0, 255, undefined, 'Uint8');
fixedAccess('Int8', 1, 'getInt8', 'setInt8', -128, 127);
fixedAccess('UInt16', 2, 'getUint16', 'setUint16', 0, 65535, undefined, 'Uint16');
fixedAccess('Int16', 2, 'getInt16', 'setInt16', -32768, 32767);
fixedAccess('UInt32', 4, 'getUint32', 'setUint32', 0, 4294967295, undefined, 'Uint32');
fixedAccess('Int32', 4, 'getInt32', 'setInt32', -2147483648, 2147483647);
fixedAccess('Float', 4, 'getFloat32', 'setFloat32', -Infinity, Infinity);
fixedAccess('Double', 8, 'getFloat64', 'setFloat64', -Infinity, Infinity);
for (const little of [true, false]) {
  const suffix = little ? 'LE' : 'BE';
  method('readUInt' + suffix, function (offset, byteLength) {
    checkByteLength(byteLength);
    return readUnsigned(this, checkOffset(this, offset, byteLength), byteLength, little);
  }, ['readUint' + suffix]);
  method('readInt' + suffix, function (offset, byteLength) {
    checkByteLength(byteLength);
    return toSigned(readUnsigned(this, checkOffset(this, offset, byteLength), byteLength, little), byteLength);
  });
  method('writeUInt' + suffix, function (value, offset, byteLength) {
    checkByteLength(byteLength);
    offset = checkOffset(this, offset, byteLength);
    const [min, max, range] = intRange(byteLength, false);
    return writeUnsigned(this, checkValue(value, min, max, range), offset, byteLength, little);
  }, ['writeUint' + suffix]);
  method('writeInt' + suffix, function (value, offset, byteLength) {
    checkByteLength(byteLength);
    offset = checkOffset(this, offset, byteLength);
    const [min, max, range] = intRange(byteLength, true);
    value = checkValue(value, min, max, range);
    return writeUnsigned(this, value < 0 ? value + 2 ** (byteLength * 8) : value, offset, byteLength, little);
  });
  method('readBigUInt64' + suffix, function (offset) {
    offset = checkOffset(this, offset, 8);
    return viewOf(this).dv.getBigUint64(offset, little);
  }, ['readBigUint64' + suffix]);
  method('readBigInt64' + suffix, function (offset) {
    offset = checkOffset(this, offset, 8);
    return viewOf(this).dv.getBigInt64(offset, little);
  });
  method('writeBigUInt64' + suffix, function (value, offset) {
    if (typeof value !== 'bigint') throw argType('value', 'of type bigint', value);
    offset = checkOffset(this, offset, 8);
    if (value < 0n || value >= 2n ** 64n) throw outOfRange('value', '>= 0n and < 2n ** 64n', value + 'n');
    viewOf(this).dv.setBigUint64(offset, value, little);
    return offset + 8;
  }, ['writeBigUint64' + suffix]);
  method('writeBigInt64' + suffix, function (value, offset) {
    if (typeof value !== 'bigint') throw argType('value', 'of type bigint', value);
    offset = checkOffset(this, offset, 8);
    if (value < -(2n ** 63n) || value >= 2n ** 63n) throw outOfRange('value', '>= -(2n ** 63n) and < 2n ** 63n', value + 'n');
    viewOf(this).dv.setBigInt64(offset, value, little);
    return offset + 8;
  });
}
return Buffer;
}

// ---------------------------------------------------------------- util and console (made on first use)
let utilImpl;
function getUtil() { if (utilImpl === undefined) utilImpl = makeUtil(); return utilImpl; }
function makeUtil() {
const IDENT = /^[A-Za-z_$][\w$]*$/;
function inspect(value, options) {
  const depth = options && typeof options.depth === 'number' ? options.depth : (options === null ? Infinity : 2);
  return formatValue(value, depth, 0, []);
}
function quote(s) { return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'"; }
function formatValue(v, depth, level, seen) {
  switch (typeof v) {
    case 'string': return quote(v);
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return String(v) + 'n';
    case 'boolean': case 'undefined': return String(v);
    case 'symbol': return v.toString();
    case 'function': {
      const isClass = /^class\b/.test(Function.prototype.toString.call(v));
      return '[' + (isClass ? 'class ' : 'Function') + (v.name ? (isClass ? '' : ': ') + v.name : (isClass ? '(anonymous)' : ' (anonymous)')) + ']';
    }
  }
  if (v === null) return 'null';
  if (seen.indexOf(v) !== -1) return '[Circular *1]';
  if (isBuffer(v)) {
    let s = '<Buffer';
    const n = MathMin(v.length, 50);
    for (let i = 0; i < n; i++) s += ' ' + (v[i] < 16 ? '0' : '') + v[i].toString(16);
    if (v.length > 50) s += ' ... ' + (v.length - 50) + ' more bytes';
    return s + '>';
  }
  if (v instanceof Date) return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  if (v instanceof ErrorCtor) return (v.name || 'Error') + (v.message ? ': ' + v.message : '');
  if (typeof v.then === 'function' && v instanceof PromiseCtor) return 'Promise { <unknown> }';
  if (level > depth) return isArray(v) ? '[Array]' : '[Object]';
  seen.push(v);
  let out;
  try {
    if (isArray(v)) {
      const items = [];
      for (let i = 0; i < v.length; i++) items.push(formatValue(v[i], depth, level + 1, seen));
      out = items.length === 0 ? '[]' : '[ ' + items.join(', ') + ' ]';
    } else if (v instanceof Map) {
      const items = [];
      v.forEach((val, key) => items.push(formatValue(key, depth, level + 1, seen) + ' => ' + formatValue(val, depth, level + 1, seen)));
      out = 'Map(' + v.size + ') ' + (items.length ? '{ ' + items.join(', ') + ' }' : '{}');
    } else if (v instanceof Set) {
      const items = [];
      v.forEach(val => items.push(formatValue(val, depth, level + 1, seen)));
      out = 'Set(' + v.size + ') ' + (items.length ? '{ ' + items.join(', ') + ' }' : '{}');
    } else if (ArrayBuffer.isView(v)) {
      out = (v.constructor && v.constructor.name || 'TypedArray') + '(' + v.length + ') [ ' + Array.from(v).join(', ') + ' ]';
    } else {
      const keys = ObjectKeys(v);
      const items = keys.map(k => (IDENT.test(k) ? k : quote(k)) + ': ' + formatValue(v[k], depth, level + 1, seen));
      const proto = Object.getPrototypeOf(v);
      const name = proto === null ? '[Object: null prototype] ' : (proto.constructor && proto.constructor.name && proto.constructor.name !== 'Object' ? proto.constructor.name + ' ' : '');
      out = name + (items.length === 0 ? '{}' : '{ ' + items.join(', ') + ' }');
    }
  } finally { seen.pop(); }
  return out;
}
function format(first, ...args) {
  let out, i = 0;
  if (typeof first === 'string') {
    out = first.replace(/%[sdifjoOc%]/g, spec => {
      if (spec === '%%') return '%';
      if (i >= args.length) return spec;
      const a = args[i++];
      switch (spec) {
        case '%s': return typeof a === 'string' ? a : (typeof a === 'bigint' ? a + 'n' : (a !== null && typeof a === 'object' ? inspect(a, { depth: 1 }) : String(a)));
        case '%d': return typeof a === 'bigint' ? a + 'n' : (a !== null && typeof a === 'object' ? 'NaN' : String(Number(a)));
        case '%i': return typeof a === 'bigint' ? a + 'n' : String(parseInt(a, 10));
        case '%f': return String(parseFloat(a));
        case '%j': try { return JSONstringify(a); } catch (e) { return '[Circular]'; }
        case '%c': return '';
        default: return inspect(a);
      }
    });
  } else {
    out = typeof first === 'string' ? first : inspect(first);
    if (arguments.length === 0) out = '';
  }
  for (; i < args.length; i++) out += ' ' + (typeof args[i] === 'string' ? args[i] : inspect(args[i]));
  return out;
}
function promisify(fn) {
  if (typeof fn !== 'function') throw argType('original', 'of type function', fn);
  return function (...args) {
    return new PromiseCtor((resolve, reject) => {
      fn.call(this, ...args, (err, ...values) => err ? reject(err) : resolve(values[0]));
    });
  };
}
function isDeepStrictEqual(a, b) { return deepEqual(a, b, []); }
function deepEqual(a, b, seen) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp) return String(a) === String(b);
  if (seen.indexOf(a) !== -1) return true;
  seen.push(a);
  try {
    if (ArrayBuffer.isView(a)) { if (a.length !== b.length) return false; for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false; return true; }
    const ka = ObjectKeys(a), kb = ObjectKeys(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!hasOwn(b, k) || !deepEqual(a[k], b[k], seen)) return false;
    return true;
  } finally { seen.pop(); }
}
const util = {
  format, inspect, promisify, isDeepStrictEqual,
  inherits(ctor, superCtor) { Object.setPrototypeOf(ctor.prototype, superCtor.prototype); Object.setPrototypeOf(ctor, superCtor); },
  isArray,
  types: {
    isDate: v => v instanceof Date, isRegExp: v => v instanceof RegExp, isPromise: v => v instanceof PromiseCtor,
    isUint8Array: v => v instanceof U8, isTypedArray: v => ArrayBuffer.isView(v) && !(v instanceof DV),
    isNativeError: v => v instanceof ErrorCtor,
  },
};
return util;
}
function text(value) { return typeof value === 'string' ? value : getUtil().inspect(value); }
function makeConsole() {
  const format = getUtil().format;
  return {
    log: (...a) => native.log(2, format(...a)),
    info: (...a) => native.log(2, format(...a)),
    warn: (...a) => native.log(3, format(...a)),
    error: (...a) => native.log(4, format(...a)),
    debug: (...a) => native.log(1, format(...a)),
    trace: (...a) => native.log(0, format(...a)),
    dir: (v) => native.log(2, getUtil().inspect(v)),
  };
}

// ---------------------------------------------------------------- timers (cleared when the node stops)
const timers = new Map();
let nextTimer = 1;
function toDelay(delay) { delay = +delay; return delay >= 1 && delay <= 2147483647 ? delay : 1; }
function addTimer(fn, delay, args, repeat) {
  if (typeof fn !== 'function') throw argType('callback', 'of type function', fn);
  const id = nextTimer++;
  timers.set(id, { fn, args, repeat });
  native.startTimer(id, toDelay(delay), repeat);
  return id;
}
function removeTimer(id) {
  if (typeof id !== 'number') id = +id;
  if (timers.delete(id)) native.stopTimer(id);
}
function fireTimer(id) {
  const t = timers.get(id);
  if (t === undefined) return;
  if (!t.repeat) timers.delete(id);
  try { t.fn.apply(undefined, t.args); } catch (e) { native.callbackError(e); }
}

// ---------------------------------------------------------------- context, env
function makeContext(kind) {
  const ctx = {
    get(key, store, callback) {
      if (typeof store === 'function') { callback = store; store = undefined; }
      if (typeof callback !== 'function') return native.ctxGet(kind, key, store);
      let value;
      try { value = native.ctxGet(kind, key, store); } catch (e) { callback(e); return; }
      if (isArray(key)) callback(null, ...value); else callback(null, value);
    },
    set(key, value, store, callback) {
      if (typeof store === 'function') { callback = store; store = undefined; }
      if (typeof callback !== 'function') { native.ctxSet(kind, key, value, store); return; }
      try { native.ctxSet(kind, key, value, store); } catch (e) { callback(e); return; }
      callback(null);
    },
    keys(store, callback) {
      if (typeof store === 'function') { callback = store; store = undefined; }
      if (typeof callback !== 'function') return native.ctxKeys(kind, store);
      let keys;
      try { keys = native.ctxKeys(kind, store); } catch (e) { callback(e); return; }
      callback(null, keys);
    },
  };
  return ctx;
}
let contexts;
function getContexts() {
  if (contexts === undefined) {
    const flow = makeContext(1), global = makeContext(2), context = makeContext(0);
    defineProperty(context, 'flow', { value: flow, enumerable: false });
    defineProperty(context, 'global', { value: global, enumerable: false });
    contexts = { context, flow, global };
  }
  return contexts;
}
const env = { get: name => native.env(String(name)) };

// ---------------------------------------------------------------- RED.util (made on first use)
function makeRed() {
function invalidExpression(expr, at) {
  const e = new ErrorCtor('Invalid property expression: ' + (at === undefined ? 'zero-length' : 'unexpected ' + (expr[at] === undefined ? 'end' : "'" + expr[at] + "'") + ' at position ' + at));
  e.code = 'INVALID_EXPR';
  return e;
}
function normalisePropertyExpression(expr, msg) {
  if (isArray(expr)) return expr.slice();
  expr = String(expr);
  const n = expr.length;
  if (n === 0) throw invalidExpression(expr);
  const parts = [];
  let i = 0;
  function ident() {
    const s = i;
    while (i < n && expr[i] !== '.' && expr[i] !== '[') i++;
    if (i === s) throw invalidExpression(expr, i);
    return expr.substring(s, i);
  }
  if (expr[0] !== '[') parts.push(ident());
  while (i < n) {
    const c = expr[i];
    if (c === '.') { i++; parts.push(ident()); continue; }
    if (c !== '[') throw invalidExpression(expr, i);
    i++;
    const q = expr[i];
    if (q === '"' || q === "'") {
      i++;
      let s = '';
      while (i < n && expr[i] !== q) { if (expr[i] === '\\' && i + 1 < n) i++; s += expr[i++]; }
      if (i >= n) throw invalidExpression(expr, i);
      i++;
      if (expr[i] !== ']') throw invalidExpression(expr, i);
      i++;
      parts.push(s);
      continue;
    }
    const s = i;
    let depth = 1;
    while (i < n) { if (expr[i] === '[') depth++; else if (expr[i] === ']' && --depth === 0) break; i++; }
    if (i >= n) throw invalidExpression(expr, i);
    const inner = expr.substring(s, i).trim();
    i++;
    if (/^-?\d+$/.test(inner)) { parts.push(parseInt(inner, 10)); continue; }
    if (msg !== undefined && /^msg[.\[]/.test(inner)) {
      const v = getObjectProperty(msg, inner.substring(inner[3] === '.' ? 4 : 3));
      if (typeof v !== 'string' && typeof v !== 'number') throw invalidExpression(expr, s);
      parts.push(v);
      continue;
    }
    throw invalidExpression(expr, s);
  }
  return parts;
}
function getObjectProperty(obj, expr) {
  const parts = normalisePropertyExpression(expr, obj);
  let v = obj;
  for (const p of parts) {
    if (v === null || v === undefined) return undefined;
    v = v[p];
  }
  return v;
}
function setObjectProperty(obj, expr, value, createMissing) {
  if (createMissing === undefined) createMissing = value !== undefined;
  const parts = normalisePropertyExpression(expr, obj);
  let target = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i];
    let next = target[key];
    if (next === null || typeof next !== 'object') {
      if (!createMissing) return false;
      next = typeof parts[i + 1] === 'number' ? [] : {};
      target[key] = next;
    }
    target = next;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) {
    if (isArray(target) && typeof last === 'number') target.splice(last, 1); else delete target[last];
  } else target[last] = value;
  return true;
}
function stripMsg(expr) { expr = String(expr); return expr.indexOf('msg.') === 0 ? expr.substring(4) : expr; }
function ensureString(o) {
  if (isBuffer(o)) return o.toString();
  if (o !== null && typeof o === 'object') return JSONstringify(o);
  if (typeof o === 'string') return o;
  return '' + o;
}
function ensureBuffer(o) {
  const Buffer = getBuffer();
  if (o instanceof Buffer) return o;
  if (o !== null && typeof o === 'object') o = JSONstringify(o);
  else if (typeof o !== 'string') o = '' + o;
  return Buffer.from(o);
}
const RED = {
  util: {
    cloneMessage: msg => native.clone(msg),
    generateId: () => native.generateId(),
    getMessageProperty: (msg, expr) => getObjectProperty(msg, stripMsg(expr)),
    setMessageProperty: (msg, expr, value, createMissing) => setObjectProperty(msg, stripMsg(expr), value, createMissing),
    getObjectProperty, setObjectProperty,
    normalisePropertyExpression,
    evaluateNodeProperty(value, type, node, msg, callback) {
      let result;
      try { result = native.evaluateProperty(value, type, msg); }
      catch (e) { if (typeof callback === 'function') { callback(e); return; } throw e; }
      if (typeof callback === 'function') { callback(null, result); return; }
      return result;
    },
    prepareJSONataExpression: (value, node) => ({ jsonata: String(value) }),
    evaluateJSONataExpression(expr, msg, callback) {
      const source = expr !== null && typeof expr === 'object' ? expr.jsonata : expr;
      let result;
      try { result = native.jsonata(String(source), msg); }
      catch (e) { if (typeof callback === 'function') { callback(e); return; } throw e; }
      if (typeof callback === 'function') { callback(null, result); return; }
      return result;
    },
    compareObjects: (a, b) => getUtil().isDeepStrictEqual(a, b),
    ensureString, ensureBuffer,
    parseContextStore(key) {
      const m = /^#:\((\S+?)\)::(.*)$/.exec(String(key));
      return m ? { store: m[1], key: m[2] } : { key: String(key) };
    },
    getSetting: () => undefined,
  },
};
return RED;
}

// ---------------------------------------------------------------- URL and URLSearchParams (WHATWG subset, made on first use)
let urlImpl;
function getUrl() { if (urlImpl === undefined) urlImpl = makeUrl(); return urlImpl; }
function makeUrl() {
function formEncode(s) {
  return encodeURIComponent(s).replace(/[!'()~]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, '+');
}
function formDecode(s) {
  s = s.replace(/\+/g, ' ');
  try { return decodeURIComponent(s); } catch (e) { return s; }
}
class URLSearchParams {
  constructor(init) {
    defineProperty(this, '_list', { value: [], writable: true });
    defineProperty(this, '_owner', { value: null, writable: true });
    if (init === undefined || init === null) return;
    if (init instanceof URLSearchParams) { this._list = init._list.map(p => [p[0], p[1]]); return; }
    if (typeof init === 'object') {
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeErrorCtor('Each query pair must be an iterable [name, value] tuple');
          this._list.push([String(p[0]), String(p[1])]);
        }
      } else {
        for (const k of ObjectKeys(init)) this._list.push([k, String(init[k])]);
      }
      return;
    }
    this._parse(String(init));
  }
  _parse(text) {
    this._list = [];
    if (text[0] === '?') text = text.substring(1);
    for (const part of text.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      this._list.push(eq < 0 ? [formDecode(part), ''] : [formDecode(part.substring(0, eq)), formDecode(part.substring(eq + 1))]);
    }
  }
  _changed() { if (this._owner) this._owner._query = this._list.length ? this.toString() : null; }
  get size() { return this._list.length; }
  append(name, value) { this._list.push([String(name), String(value)]); this._changed(); }
  delete(name, value) {
    name = String(name);
    this._list = this._list.filter(p => p[0] !== name || (value !== undefined && p[1] !== String(value)));
    this._changed();
  }
  get(name) { name = String(name); const p = this._list.find(x => x[0] === name); return p ? p[1] : null; }
  getAll(name) { name = String(name); return this._list.filter(p => p[0] === name).map(p => p[1]); }
  has(name, value) { name = String(name); return this._list.some(p => p[0] === name && (value === undefined || p[1] === String(value))); }
  set(name, value) {
    name = String(name); value = String(value);
    const i = this._list.findIndex(p => p[0] === name);
    if (i < 0) this._list.push([name, value]);
    else { this._list[i][1] = value; this._list = this._list.filter((p, j) => j <= i || p[0] !== name); }
    this._changed();
  }
  sort() { this._list = this._list.map((p, i) => [p, i]).sort((a, b) => a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]).map(x => x[0]); this._changed(); }
  forEach(callback, thisArg) { for (const [k, v] of this._list) callback.call(thisArg, v, k, this); }
  keys() { return this._list.map(p => p[0])[Symbol.iterator](); }
  values() { return this._list.map(p => p[1])[Symbol.iterator](); }
  entries() { return this._list.map(p => [p[0], p[1]])[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return this._list.map(p => formEncode(p[0]) + '=' + formEncode(p[1])).join('&'); }
}
const DEFAULT_PORTS = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21' };
const SPECIAL = { 'http:': 1, 'https:': 1, 'ws:': 1, 'wss:': 1, 'ftp:': 1, 'file:': 1 };
const URL_PATTERN = /^([a-zA-Z][a-zA-Z0-9+.\-]*:)(?:\/\/(?:([^:@\/?#]*)(?::([^@\/?#]*))?@)?(\[[^\]]*\]|[^:\/?#]*)(?::(\d*))?)?([^?#]*)(\?[^#]*)?(#.*)?$/;
function normalisePath(path) {
  const out = [];
  for (const seg of path.split('/')) {
    if (seg === '..') { if (out.length > 1) out.pop(); }
    else if (seg !== '.') out.push(seg);
  }
  let result = out.join('/');
  if (path.endsWith('/..') || path.endsWith('/.')) result += '/';
  return result[0] === '/' ? result : '/' + result;
}
class URL {
  constructor(url, base) {
    url = String(url).trim();
    let m = URL_PATTERN.exec(url);
    if (!m && base !== undefined) {
      const b = base instanceof URL ? base : new URL(base);
      let path = b.pathname, query = b._query, hash = null;
      let rest = url;
      const hashAt = rest.indexOf('#');
      if (hashAt >= 0) { hash = rest.substring(hashAt + 1); rest = rest.substring(0, hashAt); }
      const queryAt = rest.indexOf('?');
      if (queryAt >= 0) { query = rest.substring(queryAt + 1); rest = rest.substring(0, queryAt); }
      else if (rest !== '') query = null;
      if (rest.startsWith('//')) return new URL(b.protocol + url);
      if (rest.startsWith('/')) path = normalisePath(rest);
      else if (rest !== '') path = normalisePath(path.substring(0, path.lastIndexOf('/') + 1) + rest);
      m = [null, b.protocol, b.username || undefined, b.password || undefined, b.hostname, b.port || undefined, path, query === null ? undefined : '?' + query, hash === null ? undefined : '#' + hash];
    }
    if (!m) throw codedError(TypeErrorCtor, 'ERR_INVALID_URL', 'Invalid URL');
    const protocol = m[1].toLowerCase();
    if (SPECIAL[protocol] && protocol !== 'file:' && !m[4]) throw codedError(TypeErrorCtor, 'ERR_INVALID_URL', 'Invalid URL');
    defineProperty(this, '_protocol', { value: protocol, writable: true });
    defineProperty(this, '_username', { value: m[2] || '', writable: true });
    defineProperty(this, '_password', { value: m[3] || '', writable: true });
    defineProperty(this, '_hostname', { value: (m[4] || '').toLowerCase(), writable: true });
    defineProperty(this, '_port', { value: m[5] && m[5] !== DEFAULT_PORTS[protocol] ? String(+m[5]) : '', writable: true });
    let path = m[6] || '';
    if (SPECIAL[protocol]) path = normalisePath(path === '' ? '/' : path);
    defineProperty(this, '_path', { value: path, writable: true });
    defineProperty(this, '_query', { value: m[7] !== undefined ? m[7].substring(1) : null, writable: true });
    defineProperty(this, '_fragment', { value: m[8] !== undefined ? m[8].substring(1) : null, writable: true });
    const params = new URLSearchParams(this._query || '');
    params._owner = this;
    defineProperty(this, '_params', { value: params, writable: true });
  }
  get protocol() { return this._protocol; }
  get username() { return this._username; }
  set username(v) { this._username = String(v); }
  get password() { return this._password; }
  set password(v) { this._password = String(v); }
  get hostname() { return this._hostname; }
  set hostname(v) { this._hostname = String(v).toLowerCase(); }
  get port() { return this._port; }
  set port(v) { v = String(v); this._port = v === '' || v === DEFAULT_PORTS[this._protocol] ? '' : String(parseInt(v, 10)); }
  get host() { return this._hostname + (this._port ? ':' + this._port : ''); }
  set host(v) { const i = String(v).lastIndexOf(':'); if (i > 0 && !/\]$/.test(v)) { this.hostname = v.substring(0, i); this.port = v.substring(i + 1); } else this.hostname = v; }
  get origin() { return SPECIAL[this._protocol] && this._protocol !== 'file:' ? this._protocol + '//' + this.host : 'null'; }
  get pathname() { return this._path; }
  set pathname(v) { v = String(v); this._path = SPECIAL[this._protocol] ? normalisePath(v) : v; }
  get search() { return this._query ? '?' + this._query : ''; }
  set search(v) { v = String(v); if (v[0] === '?') v = v.substring(1); this._query = v === '' ? null : v; this._params._parse(v); }
  get searchParams() { return this._params; }
  get hash() { return this._fragment ? '#' + this._fragment : ''; }
  set hash(v) { v = String(v); if (v[0] === '#') v = v.substring(1); this._fragment = v === '' ? null : v; }
  get href() {
    const auth = this._username || this._password ? this._username + (this._password ? ':' + this._password : '') + '@' : '';
    const authority = SPECIAL[this._protocol] || this._hostname ? '//' + auth + this.host : '';
    return this._protocol + authority + this._path + (this._query !== null ? '?' + this._query : '') + (this._fragment !== null ? '#' + this._fragment : '');
  }
  set href(v) { const u = new URL(v); for (const k of ['_protocol', '_username', '_password', '_hostname', '_port', '_path', '_query', '_fragment']) this[k] = u[k]; this._params._parse(this._query || ''); }
  toString() { return this.href; }
  toJSON() { return this.href; }
  static canParse(url, base) { try { new URL(url, base); return true; } catch (e) { return false; } }
}
return { URL, URLSearchParams };
}

// ---------------------------------------------------------------- node
const closeHandlers = [];
function nodeLog(level) { return function (m) { native.log(level, text(m)); }; }
const nodeBase = {
  id: info.id, name: info.name, path: info.path, outputCount: info.outputCount,
  log: nodeLog(2), warn: nodeLog(3), debug: nodeLog(1), trace: nodeLog(0),
  error(err, msg) { native.error(err === undefined ? '' : (typeof err === 'string' ? err : String(err)), msg); },
  status(s) { native.status(s); },
  on(event, handler) {
    if (event === 'input') throw new ErrorCtor("Cannot add an 'input' listener in a function node");
    if (event === 'close' && typeof handler === 'function') closeHandlers.push(handler);
  },
  send(msgs, clone) { native.send(null, msgs, clone); },
  done() {},
  linkcall() { return PromiseCtor.reject(new ErrorCtor('node.linkcall() is not supported in FlowEngine function nodes yet')); },
};
function makeNode(ticket, msgid, msg) {
  const node = ObjectCreate(nodeBase);
  node.send = function send(msgs, clone) { native.send(msgid, msgs, clone); };
  node.done = function done(err) { native.done(ticket, err, msg); };
  return node;
}

// ---------------------------------------------------------------- globals
// Most scripts use a small part of the API: the rest is built on first use, which keeps a node's engine small and
// quick to start. A script may still assign these names (sloppy mode), replacing them for itself.
function defineGlobal(name, value) { defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false }); }
function lazyGlobal(name, make) {
  defineProperty(G, name, {
    configurable: true, enumerable: false,
    get() { const v = make(); defineGlobal(name, v); return v; },
    set(v) { defineGlobal(name, v); },
  });
}
lazyGlobal('Buffer', getBuffer);
lazyGlobal('util', getUtil);
lazyGlobal('promisify', () => getUtil().promisify);
lazyGlobal('console', makeConsole);
lazyGlobal('context', () => getContexts().context);
lazyGlobal('flow', () => getContexts().flow);
lazyGlobal('global', () => getContexts().global);
lazyGlobal('RED', makeRed);
lazyGlobal('URL', () => getUrl().URL);
lazyGlobal('URLSearchParams', () => getUrl().URLSearchParams);
defineGlobal('env', env);
defineGlobal('setTimeout', (fn, delay, ...args) => addTimer(fn, delay, args, false));
defineGlobal('setInterval', (fn, delay, ...args) => addTimer(fn, delay, args, true));
defineGlobal('clearTimeout', removeTimer);
defineGlobal('clearInterval', removeTimer);

// ---------------------------------------------------------------- helpers for the host
return {
  // A ticket names the message's run for calls that come later (node.done, a settled promise); synchronous
  // results report to the run in progress, so most messages never need one.
  invoke(fn, msg, needsNode) {
    const node = needsNode ? makeNode(native.ticket(), msg._msgid, msg) : nodeBase;
    let result;
    try { result = fn(msg, node); } catch (e) { native.finish(undefined, false, e, msg); return; }
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      const ticket = native.ticket();
      try {
        result.then(v => native.finish(ticket, true, v, msg), e => native.finish(ticket, false, e, msg));
      } catch (e) { native.finish(ticket, false, e, msg); }
      return;
    }
    native.finish(undefined, true, result, msg);
  },
  initialize(fn) {
    const node = ObjectCreate(nodeBase);
    let result;
    try { result = fn(node); } catch (e) { native.initialized(false, e); return; }
    PromiseCtor.resolve(result).then(() => native.initialized(true), e => native.initialized(false, e));
  },
  finalize(fn) {
    const node = ObjectCreate(nodeBase);
    node.send = function send() { native.log(4, 'node.send() is not allowed in On Stop code'); };
    fn(node);
  },
  close(removed) {
    for (const h of closeHandlers.splice(0)) {
      try {
        if (h.length >= 2) h(removed, () => {}); else if (h.length === 1) h(() => {}); else h();
      } catch (e) { native.callbackError(e); }
    }
  },
  loadModule(fn) {
    const module = { exports: {} };
    fn(module, module.exports);
    return module.exports;
  },
  fireTimer,
  bufferPrototype: () => getBuffer().prototype,
};
})
""";
}
