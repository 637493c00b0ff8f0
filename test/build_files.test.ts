// binding.gyp (node-gyp, used at install) and CMakeLists.txt (cmake-js and the native tests)
// must build the same sources, with the AVX2/FMA and AVX-512 flags on the x86 kernels only, and
// every .cc of the addon must be in both.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');

interface GypTarget {
  target_name: string;
  type?: string;
  sources: string[];
  cflags_cc?: string[];
  defines?: string[];
  dependencies?: string[];
}

// binding.gyp is a Python literal; ours is kept valid JSON so that tools can read it
const gyp = JSON.parse(fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8')) as {
  targets: GypTarget[];
};
const target = (name: string): GypTarget => {
  const t = gyp.targets.find((x) => x.target_name === name);
  if (!t) throw new Error(`binding.gyp has no target ${name}`);
  return t;
};

/** The CMake `set(NAME item item ...)` lists of CMakeLists.txt, comments removed. */
function cmakeLists(text: string): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  const code = text.replace(/#[^\n]*/g, '');
  for (const m of code.matchAll(/\bset\(\s*(\w+)\s+([^)]*)\)/g)) {
    lists.set(m[1], m[2].split(/\s+/).filter(Boolean));
  }
  return lists;
}
const cmakeText = fs.readFileSync(path.join(ROOT, 'CMakeLists.txt'), 'utf8');
const cmake = cmakeLists(cmakeText);
const cmakeList = (name: string): string[] => {
  const l = cmake.get(name);
  if (!l) throw new Error(`CMakeLists.txt has no set(${name} ...)`);
  return l;
};

/** Every .cc under the given folders of native/, relative to the project root. */
function ccFiles(...dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.cc')) out.push(p);
    }
  };
  for (const d of dirs) if (fs.existsSync(path.join(ROOT, d))) walk(d);
  return out.sort();
}

const sorted = (xs: string[]): string[] => [...xs].sort();
const duplicates = (xs: string[]): string[] => xs.filter((x, i) => xs.indexOf(x) !== i);

const AVX2 = target('neurite_avx2_fma');
const AVX512 = target('neurite_avx512');
const ADDON = target('neurite');

describe('build files', () => {
  it('binding.gyp AVX2 static library sources equal CMake NEURITE_AVX2_SOURCES', () => {
    expect(sorted(AVX2.sources)).toEqual(sorted(cmakeList('NEURITE_AVX2_SOURCES')));
  });

  it('binding.gyp AVX-512 static library sources equal CMake NEURITE_AVX512_SOURCES', () => {
    expect(sorted(AVX512.sources)).toEqual(sorted(cmakeList('NEURITE_AVX512_SOURCES')));
  });

  it('binding.gyp addon sources equal NEURITE_KERNEL_SOURCES + NEURITE_BINDING_SOURCES', () => {
    const fromCmake = [...cmakeList('NEURITE_KERNEL_SOURCES'), ...cmakeList('NEURITE_BINDING_SOURCES')];
    expect(sorted(ADDON.sources)).toEqual(sorted(fromCmake));
  });

  it('no source is listed twice', () => {
    const all = [
      ...AVX2.sources, ...AVX512.sources, ...ADDON.sources,
    ];
    expect(duplicates(all)).toEqual([]);
    const allCmake = [
      ...cmakeList('NEURITE_AVX2_SOURCES'), ...cmakeList('NEURITE_AVX512_SOURCES'),
      ...cmakeList('NEURITE_KERNEL_SOURCES'),
      ...cmakeList('NEURITE_BINDING_SOURCES'),
    ];
    expect(duplicates(allCmake)).toEqual([]);
  });

  it('every .cc under native/kernels, native/runtime and native/binding is built', () => {
    const onDisk = ccFiles('native/kernels', 'native/runtime', 'native/binding');
    const listed = sorted([...AVX2.sources, ...AVX512.sources, ...ADDON.sources]);
    expect(onDisk.filter((f) => !listed.includes(f)), 'on disk but not in binding.gyp').toEqual([]);
    expect(listed.filter((f) => !onDisk.includes(f)), 'in binding.gyp but not on disk').toEqual([]);
  });

  it('binding sources are exactly the .cc files under native/binding', () => {
    expect(sorted(cmakeList('NEURITE_BINDING_SOURCES'))).toEqual(ccFiles('native/binding'));
  });

  it('native/test and native/bench are not part of the addon', () => {
    const listed = [...AVX2.sources, ...AVX512.sources, ...ADDON.sources];
    expect(listed.filter((f) => /^native\/(test|bench)\//.test(f))).toEqual([]);
  });

  it('the AVX2/FMA and AVX-512 sources are exactly native/kernels/x86/*.cc', () => {
    expect(sorted([...AVX2.sources, ...AVX512.sources])).toEqual(ccFiles('native/kernels/x86'));
  });

  it('the AVX2/FMA sources are built with -mavx2 -mfma and no AVX-512 flag', () => {
    expect(AVX2.type).toBe('static_library');
    expect(AVX2.cflags_cc?.filter((f) => f.startsWith('-mavx512'))).toEqual([]);
    expect(AVX2.cflags_cc).toEqual(expect.arrayContaining(['-mavx2', '-mfma']));
    expect(cmakeText).toMatch(
      /set_source_files_properties\(\$\{NEURITE_AVX2_SOURCES\}\s+PROPERTIES\s+COMPILE_OPTIONS\s+"-mavx2;-mfma"\)/,
    );
  });

  it('the AVX-512 sources are built with -mavx512f -mfma, in gyp and in CMake', () => {
    expect(AVX512.type).toBe('static_library');
    expect(AVX512.cflags_cc).toEqual(expect.arrayContaining(['-mavx512f', '-mfma']));
    expect(cmakeText).toMatch(
      /set_source_files_properties\(\$\{NEURITE_AVX512_SOURCES\}\s+PROPERTIES\s+COMPILE_OPTIONS\s+"-mavx512f;[^"]*-mfma"\)/,
    );
    // the list is compiled into the addon and the native test library
    expect(cmakeText).toMatch(/add_library\(neurite SHARED[^)]*\$\{NEURITE_AVX512_SOURCES\}/);
    expect(cmakeText).toMatch(/add_library\(neurite_kernels STATIC[^)]*\$\{NEURITE_AVX512_SOURCES\}/);
  });

  it('the addon target itself has no ISA flags and depends on both ISA libraries', () => {
    const flags = (ADDON.cflags_cc ?? []).filter((f) => /^-m(avx|fma|arch|tune=native)/.test(f));
    expect(flags).toEqual([]);
    expect(ADDON.dependencies).toContain('neurite_avx2_fma');
    expect(ADDON.dependencies).toContain('neurite_avx512');
    expect(cmakeText).not.toMatch(/-march=native|CMAKE_CXX_FLAGS[^)]*-mavx/);
  });

  it('both build files define NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS and NAPI_VERSION=8', () => {
    expect(ADDON.defines).toEqual(
      expect.arrayContaining(['NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS', 'NAPI_VERSION=8']),
    );
    expect(cmakeText).toMatch(/NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS/);
    expect(cmakeText).toMatch(/NAPI_VERSION=8/);
  });
});
