import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  arange, deserialize, load, loadFile, randn, save, saveFile, serialize, tensor, Tensor,
} from '../../lib/index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurite-st-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A safetensors file built by hand, as another writer would lay it out. */
function rawFile(header: unknown, data: Uint8Array, rawJson?: string): Buffer {
  const json = Buffer.from(rawJson ?? JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function f32bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

describe('safetensors', () => {
  it('round-trips F32, I32 and BOOL tensors with metadata through a file', () => {
    const tensors = {
      'fc.weight': randn([3, 4]),
      'fc.bias': randn([3]),
      steps: tensor(Int32Array.from([1, -2, 3])),
      mask: tensor([true, false, true]),
      scalar: tensor(2.5),
      empty: tensor(new Float32Array(0), [0, 5]),
    };
    const file = path.join(dir, 'rt.safetensors');
    saveFile(tensors, file, { format: 'pt', note: 'hello' });
    const { tensors: back, metadata } = loadFile(file);
    expect(metadata).toEqual({ format: 'pt', note: 'hello' });
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      expect(back[k].dtype).toBe(t.dtype);
      expect([...back[k].shape]).toEqual([...t.shape]);
      expect(Array.from(back[k].data)).toEqual(Array.from(t.data));
    }
    expect(load(file)['fc.weight'].shape).toEqual([3, 4]);
  });

  it('pads the header with spaces to a multiple of 8 and orders data as the reference writer (I64, F32, I32, BOOL, then by name)', () => {
    const buf = serialize({ b: tensor([true]), c: tensor(Int32Array.of(7)), a: tensor([1, 2]) });
    const n = Number(buf.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const text = buf.subarray(8, 8 + n).toString('utf8');
    expect(text.trimEnd().length).toBeLessThanOrEqual(n);
    expect(/ *$/.exec(text)![0].length).toBe(n - text.trimEnd().length);
    const header = JSON.parse(text);
    expect(header.a).toEqual({ dtype: 'F32', shape: [2], data_offsets: [0, 8] });
    expect(header.c).toEqual({ dtype: 'I32', shape: [1], data_offsets: [8, 12] });
    expect(header.b).toEqual({ dtype: 'BOOL', shape: [1], data_offsets: [12, 13] });
    expect(buf.length).toBe(8 + n + 13);
  });

  it('reads a file laid out by another writer, including I64 into int32', () => {
    const ids = new BigInt64Array([5n, -7n, 2147483647n]);
    const data = Buffer.concat([f32bytes([1, 2, 3, 4]), new Uint8Array(ids.buffer)]);
    const buf = rawFile(
      {
        __metadata__: { format: 'pt' },
        w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
        ids: { dtype: 'I64', shape: [3], data_offsets: [16, 40] },
      },
      data,
    );
    const { tensors, metadata } = deserialize(buf);
    expect(metadata.format).toBe('pt');
    expect(tensors.w.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensors.ids.dtype).toBe('int32');
    expect(Array.from(tensors.ids.data)).toEqual([5, -7, 2147483647]);
  });

  it('writes int32 as I64 when asked and reads it back', () => {
    const t = arange(4);
    const buf = serialize({ t, u: arange(2) }, undefined, { int64: ['t'] });
    const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString());
    expect(header.t.dtype).toBe('I64');
    expect(header.u.dtype).toBe('I32');
    expect(Array.from(deserialize(buf).tensors.t.data)).toEqual([0, 1, 2, 3]);
    expect(() => serialize({ x: randn([2]) }, undefined, { int64: true })).toThrow(
      /tensors\["x"\] must be int32 to be written as I64, got float32/,
    );
  });

  it('rejects an I64 value outside int32, naming the tensor', () => {
    const buf = rawFile(
      { big: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
      new Uint8Array(new BigInt64Array([2n ** 40n]).buffer),
    );
    expect(() => deserialize(buf, 'm.safetensors')).toThrow(
      /safetensors m.safetensors: tensor "big": I64 value 1099511627776 at index 0 does not fit in int32/,
    );
  });

  describe('rejects malformed files with an error naming the file and tensor', () => {
    const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const cases: [string, Buffer, RegExp][] = [
      ['a file shorter than 8 bytes', Buffer.from([1, 2, 3]), /bad.st: file is truncated: 3 bytes/],
      [
        'a header length beyond the file',
        (() => {
          const b = rawFile(good, f32bytes([1, 2]));
          b.writeBigUInt64LE(10_000n);
          return b;
        })(),
        /bad.st: header length 10000 runs past the end of the file/,
      ],
      ['malformed JSON', rawFile(null, f32bytes([1, 2]), '{"w": {'), /bad.st: header is not valid JSON/],
      ['a header that is not an object', rawFile([1, 2], new Uint8Array(0)), /header must be a JSON object/],
      [
        'an unknown dtype',
        rawFile({ w: { dtype: 'F8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)),
        /bad.st: tensor "w": dtype must be one of F32, I32, I64, BOOL, got "F8"/,
      ],
      [
        'offsets past the data area (truncated data)',
        rawFile(good, f32bytes([1])),
        /bad.st: tensor "w": data_offsets \[0, 8\] must lie within the data area of 4 bytes \(file truncated\?\)/,
      ],
      [
        'offsets not matching shape x dtype size',
        rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32bytes([1, 2])),
        /tensor "w": data_offsets \[0, 8\] span 8 bytes, but shape \[3\] of F32 needs 12/,
      ],
      [
        'overlapping tensors',
        rawFile(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          f32bytes([1, 2, 3]),
        ),
        /bad.st: tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/,
      ],
      [
        'a bad shape',
        rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32bytes([1])),
        /tensor "w": shape must be a list of integers >= 0/,
      ],
      [
        'begin after end',
        rawFile({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32bytes([1])),
        /tensor "w": data_offsets \[4, 0\] must lie within the data area/,
      ],
      [
        'non-string metadata',
        rawFile({ __metadata__: { a: 1 } }, new Uint8Array(0)),
        /__metadata__\["a"\] must be a string, got number/,
      ],
    ];
    for (const [what, buf, message] of cases) {
      it(what, () => {
        const file = path.join(dir, 'bad.st');
        fs.writeFileSync(file, buf);
        expect(() => loadFile(file)).toThrow(message);
      });
    }
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadFile(path.join(dir, 'missing.safetensors'))).toThrow(
      /loadFile: could not read .*missing.safetensors/,
    );
  });

  it('rejects bad inputs to the writer', () => {
    expect(() => serialize({ w: [1, 2] as unknown as Tensor })).toThrow(
      /serialize: tensors\["w"\] must be a Tensor, got object/,
    );
    expect(() => serialize({ w: randn([2]) }, { a: 3 as unknown as string })).toThrow(
      /serialize: metadata\["a"\] must be a string, got number/,
    );
  });

  it('a failed save leaves the previous file intact and no temp file behind', () => {
    const file = path.join(dir, 'atomic.safetensors');
    save({ w: tensor([1, 2, 3]) }, file);
    const before = fs.readFileSync(file);
    // a tensor that fails to serialise midway: its storage throws once the header is written
    const bad = randn([1000]);
    Object.defineProperty(bad, 'data', {
      get() {
        throw new Error('storage unavailable');
      },
    });
    expect(() => saveFile({ a: randn([1000]), z: bad }, file)).toThrow(
      /saveFile: could not write .*atomic.safetensors: storage unavailable/,
    );
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // a path whose directory cannot hold the file
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    expect(() => save({ w: tensor([1]) }, path.join(blocker, 'w.safetensors'))).toThrow(
      /saveFile: could not write .*not-a-dir/,
    );
  });

  it('overwrites an existing file on success', () => {
    const file = path.join(dir, 'over.safetensors');
    save({ w: tensor([1]) }, file);
    save({ w: tensor([2, 3]) }, file);
    expect(Array.from(load(file).w.data)).toEqual([2, 3]);
  });
});
