#!/usr/bin/env bash
# Packaging check: builds the prebuilt binary (prebuildify), packs the tarball, then installs it
# into empty projects with no compiler reachable and nothing downloaded (--offline: only the
# npm cache), once with install scripts and once with --ignore-scripts, and uses it from
# CommonJS, ES modules and strict TypeScript. The installed package must load the prebuilt
# binary and compile nothing. Prints PASS/FAIL per check; exits nonzero if any check fails.
# Needs npm_config_nodedir (prebuildify compiles; .ci/run sets it) and the project's
# node_modules (npm ci). Run from anywhere: bash scripts/check-pack.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

failures=0
pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# check <description> <command...>: runs the command, output shown only on failure
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    pass "$what"
  else
    fail "$what"
    printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /'
  fi
}

if [ -z "${npm_config_nodedir:-}" ]; then
  prefix=$(node -p 'require("path").resolve(process.execPath, "../..")')
  if [ -f "$prefix/include/node/node_api.h" ]; then
    export npm_config_nodedir=$prefix
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/neurite-pack.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- 1. prebuilt binary and tarball -------------------------------------------------------
# prebuildify rebuilds build/ in place: take the lock other builds in this tree use
lock=${NEURITE_BUILD_LOCK:-/tmp/neurite-build.lock}
with_lock() {
  if command -v flock >/dev/null 2>&1; then flock "$lock" "$@"; else "$@"; fi
}
rm -rf prebuilds
if ! out=$(with_lock npm run prebuildify 2>&1); then
  fail "npm run prebuildify"
  printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /'
  echo "check-pack: $failures check(s) failed"
  exit 1
fi
binary=$(find prebuilds -name '*.node' | head -n 1)
if [ -n "$binary" ]; then
  pass "npm run prebuildify wrote $binary"
else
  fail "npm run prebuildify wrote no prebuilds/*/*.node"
fi

# npm pack runs `prepare` (build:ts), so dist/ is current
if ! tarball=$(with_lock npm pack --silent --pack-destination "$work" 2>"$work/pack.err" | tail -n 1); then
  fail "npm pack"
  tail -n 40 "$work/pack.err" | sed 's/^/    /'
  echo "check-pack: $failures check(s) failed"
  exit 1
fi
tarball="$work/$tarball"
pass "npm pack wrote $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

tar -tzf "$tarball" | sed 's|^package/||' | sort >"$work/contents"
missing=""
for f in package.json binding.gyp dist/index.js dist/index.mjs dist/index.d.ts \
  dist/native.js native/binding/addon.cc native/binding/args.h native/runtime/pool.cc \
  native/kernels/x86/gemm_6x16_avx2_fma.cc "$binary"; do
  grep -qxF "$f" "$work/contents" || missing="$missing $f"
done
if [ -z "$missing" ]; then
  pass "tarball holds dist/, prebuilds/, native sources and binding.gyp"
else
  fail "tarball lacks:$missing"
fi
extra=$(grep -E '^(build/|test/|lib/|node_modules/|\.ci/|native/(test|bench)/|bench/)|\.map$' \
  "$work/contents" || true)
if [ -z "$extra" ]; then
  pass "tarball holds no build output, tests, TypeScript sources or source maps"
else
  fail "tarball holds files it should not: $(echo "$extra" | head -n 5 | tr '\n' ' ')"
fi

# --- 2. install with no compiler and no network ------------------------------------------------
# A PATH with node, npm and sh only: no cc, c++, g++, make or python.
bin="$work/bin"
mkdir -p "$bin"
for tool in node npm npx sh; do
  src=$(command -v "$tool") || { fail "no $tool on PATH"; continue; }
  ln -s "$(readlink -f "$src")" "$bin/$tool"
done

sandbox() {
  env -i HOME="$HOME" PATH="$bin" TMPDIR="${TMPDIR:-/tmp}" CC=false CXX=false \
    npm_config_cache="$(npm config get cache)" npm_config_offline=true \
    npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
    "$@"
}
if sandbox sh -c 'command -v g++ || command -v c++ || command -v make || command -v cc' \
  >/dev/null 2>&1; then
  fail "the install sandbox still reaches a compiler or make"
else
  pass "the install sandbox reaches no compiler and no make (CC=false CXX=false)"
fi

cat >"$work/use.cjs" <<'EOF'
// CommonJS: a matmul and its backward, and which binary was loaded
const fs = require('node:fs');
const path = require('node:path');
const nt = require('neurite');
const a = nt.tensor([[1, 2], [3, 4]], { requiresGrad: true });
const b = nt.tensor([[5, 6], [7, 8]], { requiresGrad: true });
const y = nt.matmul(a, b);
nt.sum(y).backward();
const dir = path.dirname(require.resolve('neurite/package.json'));
const got = {
  y: Array.from(y.data), da: Array.from(a.grad.data), db: Array.from(b.grad.data),
  binary: path.relative(dir, require('node-gyp-build').resolve(dir)),
  buildDir: fs.existsSync(path.join(dir, 'build')),
  backend: nt.backend(),
};
const want = { y: [19, 22, 43, 50], da: [11, 15, 11, 15], db: [4, 4, 6, 6] };
for (const k of Object.keys(want)) {
  if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) {
    throw new Error(`${k} = ${JSON.stringify(got[k])}, want ${JSON.stringify(want[k])}`);
  }
}
if (!got.binary.startsWith('prebuilds/')) throw new Error(`loaded ${got.binary}, not a prebuild`);
if (got.buildDir) throw new Error('node_modules/neurite/build exists: something was compiled');
console.log(JSON.stringify(got));
EOF

cat >"$work/use.mjs" <<'EOF'
// ES module: named and namespace imports share the CommonJS instance
import * as nt from 'neurite';
import { matmul, sum, tensor } from 'neurite';
import { createRequire } from 'node:module';
const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
const b = nt.tensor([[5, 6], [7, 8]], { requiresGrad: true });
const y = matmul(a, b);
sum(y).backward();
const got = [Array.from(y.data), Array.from(a.grad.data), Array.from(b.grad.data)];
const want = [[19, 22, 43, 50], [11, 15, 11, 15], [4, 4, 6, 6]];
if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`got ${JSON.stringify(got)}`);
const cjs = createRequire(import.meta.url)('neurite');
if (cjs.Tensor !== nt.Tensor) throw new Error('ESM and CommonJS see different Tensor classes');
if (!(y instanceof cjs.Tensor)) throw new Error('an ESM result is not a CommonJS Tensor');
console.log(JSON.stringify({ esm: 'ok', isa: nt.backend().isa }));
EOF

cat >"$work/check.ts" <<'EOF'
// Strict TypeScript against the installed declarations
import * as nt from 'neurite';
import { Tensor, matmul, sum, tensor } from 'neurite';
const a: Tensor = tensor([[1, 2], [3, 4]], { requiresGrad: true });
const y: Tensor = matmul(a, nt.tensor([[5, 6], [7, 8]]));
sum(y).backward();
const g: Tensor | null = a.grad;
const shape: readonly number[] = y.shape;
const info: { version: string; isa: string; threads: number } = nt.backend();
// @ts-expect-error: matmul takes tensors, not strings
matmul('a', y);
export { g, info, shape };
EOF

tsc="$root/node_modules/typescript/bin/tsc"
node_types="$root/node_modules/@types"

# Steps run through check(); each runs in the test project $app
in_app() { (cd "$app" && "$@"); }
npm_install_tarball() { in_app sandbox npm install --no-package-lock "$@" "$tarball"; }
run_node() { in_app sandbox node "$@"; }
type_check() {
  in_app sandbox node "$tsc" --noEmit --strict --target es2022 --module nodenext \
    --moduleResolution nodenext --typeRoots "$node_types" --types node "$1"
}

install_and_use() {
  local label=$1
  shift
  app="$work/app-$label"
  mkdir -p "$app"
  in_app sandbox npm init -y >/dev/null 2>&1 || true
  check "[$label] npm install of the tarball, offline, no compiler${*:+ ($*)}" \
    npm_install_tarball "$@"
  if [ ! -d "$app/node_modules/neurite" ]; then
    fail "[$label] node_modules/neurite is missing; skipping the use checks"
    return
  fi
  if [ -e "$app/node_modules/neurite/build" ]; then
    fail "[$label] node_modules/neurite/build exists: the install compiled something"
  else
    pass "[$label] nothing compiled (no node_modules/neurite/build)"
  fi
  cp "$work/use.cjs" "$work/use.mjs" "$app/"
  check "[$label] require('neurite'): matmul + backward, prebuilt binary loaded" run_node use.cjs
  check "[$label] import * as nt from 'neurite' (ESM): matmul + backward" run_node use.mjs
  if [ -f "$tsc" ]; then
    cp "$work/check.ts" "$app/check.ts"
    cp "$work/check.ts" "$app/check.mts"
    check "[$label] tsc --strict type-checks a .ts (CommonJS) against the installed types" \
      type_check check.ts
    check "[$label] tsc --strict type-checks a .mts (ES module) against the installed types" \
      type_check check.mts
  else
    echo "SKIP: typescript is not in $root/node_modules: no type check"
  fi
}

install_and_use scripts
install_and_use no-scripts --ignore-scripts

echo "check-pack: $([ "$failures" -eq 0 ] && echo "all checks passed" || echo "$failures check(s) failed")"
[ "$failures" -eq 0 ]
