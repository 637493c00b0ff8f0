// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]},
// "__metadata__": {string: string}} padded with spaces to a multiple of 8, then the raw
// little-endian bytes. Reads F32, I32, BOOL and I64 (into int32, range-checked); writes F32,
// I32, BOOL and, when asked, I64. Files are written atomically: temp file, fsync, rename.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { numel } from '../shape';
import { Tensor } from '../tensor';

export type SafetensorsDType = 'F32' | 'I32' | 'I64' | 'BOOL';

const BYTES: Record<SafetensorsDType, number> = { F32: 4, I32: 4, I64: 8, BOOL: 1 };
/** Position in the reference implementation's Dtype enum, which orders its data area. */
const RANK: Record<SafetensorsDType, number> = { BOOL: 0, I32: 1, F32: 2, I64: 3 };
const HEADER_LIMIT = 100 * 1024 * 1024; // as the reference reader

/** What loadFile and deserialize return. */
export interface SafetensorsContent {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

export interface SaveOptions {
  /** Write int32 tensors as I64 (PyTorch's long): true for all, or the names to convert. */
  int64?: boolean | readonly string[];
}

interface Entry {
  name: string;
  tensor: Tensor;
  dtype: SafetensorsDType;
  begin: number;
  end: number;
}

if (os.endianness() !== 'LE') {
  throw new Error('neurite safetensors: only little-endian hosts are supported');
}

function checkInputs(
  fn: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> | undefined,
  options: SaveOptions,
): Entry[] {
  if (typeof tensors !== 'object' || tensors === null) {
    throw new TypeError(`${fn}: tensors must be an object of name -> Tensor, got ${tensors}`);
  }
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) {
      throw new TypeError(`${fn}: metadata must be an object of string -> string, got ${metadata}`);
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new TypeError(`${fn}: metadata["${k}"] must be a string, got ${typeof v}`);
      }
    }
  }
  const int64 = options.int64 ?? false;
  const wide = (name: string) => (Array.isArray(int64) ? int64.includes(name) : int64 === true);
  // as the reference writer: by dtype (its enum order, descending), then by name
  const names = Object.keys(tensors).sort();
  const entries: Entry[] = names.map((name) => {
    if (name === '__metadata__') {
      throw new RangeError(`${fn}: tensor name must not be "__metadata__"`);
    }
    const t = tensors[name];
    if (!(t instanceof Tensor)) {
      throw new TypeError(`${fn}: tensors["${name}"] must be a Tensor, got ${typeof t}`);
    }
    let dtype: SafetensorsDType = t.dtype === 'float32' ? 'F32' : t.dtype === 'int32' ? 'I32' : 'BOOL';
    if (wide(name)) {
      if (t.dtype !== 'int32') {
        throw new TypeError(`${fn}: tensors["${name}"] must be int32 to be written as I64, got ${t.dtype}`);
      }
      dtype = 'I64';
    }
    return { name, tensor: t, dtype, begin: 0, end: 0 };
  });
  entries.sort((a, b) => RANK[b.dtype] - RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let at = 0;
  for (const e of entries) {
    e.begin = at;
    at += numel(e.tensor.shape) * BYTES[e.dtype];
    e.end = at;
  }
  return entries;
}

function headerBytes(entries: Entry[], metadata: Record<string, string> | undefined): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: [...e.tensor.shape], data_offsets: [e.begin, e.end] };
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

/** The bytes of one tensor as stored in the file (a view when no conversion is needed). */
function tensorBytes(e: Entry): Uint8Array {
  const data = e.tensor.data;
  if (e.dtype === 'I64') {
    const wide = new BigInt64Array(data.length);
    const src = data as Int32Array;
    for (let i = 0; i < src.length; ++i) wide[i] = BigInt(src[i]);
    return new Uint8Array(wide.buffer);
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length !== e.end - e.begin) {
    throw new RangeError(
      `safetensors: tensor "${e.name}" holds ${bytes.length} bytes, expected ${e.end - e.begin}`,
    );
  }
  return bytes;
}

/**
 * Serialises tensors (and string metadata) into safetensors bytes.
 * @example deserialize(serialize({ w: ones([2, 3]) })).tensors.w.shape // [2, 3]
 */
export function serialize(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
  options: SaveOptions = {},
): Buffer {
  const entries = checkInputs('serialize', tensors, metadata, options);
  const parts: Uint8Array[] = [headerBytes(entries, metadata)];
  for (const e of entries) parts.push(tensorBytes(e));
  return Buffer.concat(parts);
}

/**
 * Writes tensors to `file` in safetensors format, atomically: the bytes go to a temporary file
 * in the same directory, which is flushed (fsync) and renamed over `file`. If anything fails,
 * the temporary file is removed and a previous `file` is left as it was.
 * @throws TypeError for a non-Tensor value or non-string metadata; the file system's error,
 *   prefixed with the path, when writing fails.
 */
export function saveFile(
  tensors: Record<string, Tensor>,
  file: string,
  metadata?: Record<string, string>,
  options: SaveOptions = {},
): void {
  const entries = checkInputs('saveFile', tensors, metadata, options);
  writeAtomic(file, (fd) => {
    fs.writeSync(fd, headerBytes(entries, metadata));
    for (const e of entries) writeAll(fd, tensorBytes(e));
  });
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/** Runs write(fd) on a temp file beside `file`, fsyncs it and renames it over `file`. */
export function writeAtomic(file: string, write: (fd: number) => void): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    write(fd);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // the directory itself may be unusable; nothing was left in it
    }
    const msg = err instanceof Error ? err.message : String(err);
    throw Object.assign(new Error(`saveFile: could not write ${file}: ${msg}`), { cause: err });
  }
  // make the rename itself durable; not every file system lets a directory be fsynced
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // best effort
  }
}

/**
 * Parses safetensors bytes. `source` names the file in error messages.
 * @throws RangeError naming the source and tensor for a truncated buffer, a header length past
 *   the end, malformed JSON, an unknown dtype, offsets outside the data area, overlapping or
 *   not matching shape × dtype size, or an I64 value outside int32.
 */
export function deserialize(bytes: Uint8Array, source = '<buffer>'): SafetensorsContent {
  const where = `safetensors ${source}`;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`deserialize: bytes must be a Uint8Array or Buffer, got ${typeof bytes}`);
  }
  if (bytes.length < 8) {
    throw new RangeError(`${where}: file is truncated: ${bytes.length} bytes, need at least 8`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > HEADER_LIMIT) {
    throw new RangeError(`${where}: header length ${headerLen} exceeds the limit of ${HEADER_LIMIT}`);
  }
  if (8 + headerLen > bytes.length) {
    throw new RangeError(
      `${where}: header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8'));
  } catch (err) {
    throw new RangeError(`${where}: header is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new RangeError(`${where}: header must be a JSON object`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors: Record<string, Tensor> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new RangeError(`${where}: __metadata__ must be an object of strings`);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          throw new RangeError(`${where}: __metadata__["${k}"] must be a string, got ${typeof v}`);
        }
        metadata[k] = v;
      }
      continue;
    }
    const at = `${where}: tensor "${name}"`;
    if (typeof raw !== 'object' || raw === null) throw new RangeError(`${at}: entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in BYTES)) {
      throw new RangeError(
        `${at}: dtype must be one of F32, I32, I64, BOOL, got ${JSON.stringify(dtype)}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new RangeError(`${at}: shape must be a list of integers >= 0, got ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      throw new RangeError(
        `${at}: data_offsets must be [begin, end] integers >= 0, got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as number[];
    if (begin > end || end > dataLen) {
      throw new RangeError(
        `${at}: data_offsets [${begin}, ${end}] must lie within the data area of ${dataLen} bytes` +
          (end > dataLen ? ' (file truncated?)' : ''),
      );
    }
    const n = numel(shape as number[]);
    const size = BYTES[dtype as SafetensorsDType];
    if (end - begin !== n * size) {
      throw new RangeError(
        `${at}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape ` +
          `[${(shape as number[]).join(', ')}] of ${dtype} needs ${n * size}`,
      );
    }
    spans.push({ name, begin, end });
    tensors[name] = readTensor(at, bytes, dataStart + begin, n, dtype as SafetensorsDType, shape as number[]);
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; ++i) {
    const [p, q] = [spans[i - 1], spans[i]];
    if (q.begin < p.end) {
      throw new RangeError(
        `${where}: tensors "${p.name}" [${p.begin}, ${p.end}] and "${q.name}" ` +
          `[${q.begin}, ${q.end}] overlap`,
      );
    }
  }
  return { tensors, metadata };
}

function readTensor(
  at: string,
  bytes: Uint8Array,
  offset: number,
  n: number,
  dtype: SafetensorsDType,
  shape: number[],
): Tensor {
  const src = bytes.subarray(offset, offset + n * BYTES[dtype]);
  if (dtype === 'F32' || dtype === 'I32' || dtype === 'BOOL') {
    const data = dtype === 'F32' ? new Float32Array(n) : dtype === 'I32' ? new Int32Array(n) : new Uint8Array(n);
    new Uint8Array(data.buffer).set(src);
    if (dtype === 'BOOL' && data.some((v) => v > 1)) {
      throw new RangeError(`${at}: BOOL values must be 0 or 1`);
    }
    return new Tensor(data, shape);
  }
  // I64 -> int32, every value range-checked
  const wide = new BigInt64Array(n);
  new Uint8Array(wide.buffer).set(src);
  const data = new Int32Array(n);
  for (let i = 0; i < n; ++i) {
    const v = wide[i];
    if (v < -2147483648n || v > 2147483647n) {
      throw new RangeError(`${at}: I64 value ${v} at index ${i} does not fit in int32`);
    }
    data[i] = Number(v);
  }
  return new Tensor(data, shape);
}

/** Reads a safetensors file: its tensors (own storage) and its string metadata. */
export function loadFile(file: string): SafetensorsContent {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw Object.assign(new Error(`loadFile: could not read ${file}: ${(err as Error).message}`), {
      cause: err,
    });
  }
  return deserialize(bytes, file);
}

/** Saves a state dict (e.g. model.stateDict()) to a safetensors file, atomically. */
export function save(
  stateDict: Record<string, Tensor>,
  file: string,
  metadata?: Record<string, string>,
): void {
  saveFile(stateDict, file, metadata);
}

/** Loads the tensors of a safetensors file (for model.loadStateDict). */
export function load(file: string): Record<string, Tensor> {
  return loadFile(file).tensors;
}
