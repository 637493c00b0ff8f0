// Fixed filters as frozen convolutions on an MNIST digit: Gaussian blur at several scales
// (gaussianKernel2d, variance sigma²) and Sobel edges (x, y and the gradient magnitude), written
// as PNG images (4x nearest-neighbour upscaled) to out/filters/, plus one strip for the README,
// docs/filters.png: original | blur sigma 1, 2, 3 | Sobel x | Sobel y | magnitude.
// Signed Sobel responses are drawn on a diverging scale: blue < 0 (grey = 0) < red.
//   npm run example:filters [-- --digit 3 --index 0 --out out/filters --strip docs/filters.png]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import * as nt from 'neurite';

const SCALE = 4;
const SIGMAS = [1, 2, 3];

/** An RGB image, values 0..255, row-major [H, W, 3]. */
interface Rgb {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Gray image of a [1, 1, H, W] tensor: lo maps to black, hi to white. */
function gray(t: nt.Tensor, lo: number, hi: number): Rgb {
  const [, , H, W] = t.shape;
  const v = t.data as Float32Array;
  const data = new Uint8Array(H * W * 3);
  for (let i = 0; i < H * W; ++i) {
    const g = Math.round(255 * Math.min(1, Math.max(0, (v[i] - lo) / (hi - lo || 1))));
    data.fill(g, 3 * i, 3 * i + 3);
  }
  return { width: W, height: H, data };
}

/** Diverging image of a signed [1, 1, H, W] tensor: -m blue, 0 light grey, +m red. */
function diverging(t: nt.Tensor, m: number): Rgb {
  const [, , H, W] = t.shape;
  const v = t.data as Float32Array;
  const data = new Uint8Array(H * W * 3);
  const zero = [235, 235, 235];
  const neg = [33, 102, 172];
  const pos = [178, 24, 43];
  for (let i = 0; i < H * W; ++i) {
    const a = Math.min(1, Math.abs(v[i]) / (m || 1));
    const end = v[i] < 0 ? neg : pos;
    for (let c = 0; c < 3; ++c) data[3 * i + c] = Math.round(zero[c] + a * (end[c] - zero[c]));
  }
  return { width: W, height: H, data };
}

/** Nearest-neighbour upscaling by an integer factor. */
function upscale(img: Rgb, k: number): Rgb {
  const W = img.width * k;
  const H = img.height * k;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; ++y) {
    for (let x = 0; x < W; ++x) {
      const s = 3 * (Math.floor(y / k) * img.width + Math.floor(x / k));
      data.set(img.data.subarray(s, s + 3), 3 * (y * W + x));
    }
  }
  return { width: W, height: H, data };
}

/** Images side by side on a white background, `gap` px apart and around. */
function strip(images: Rgb[], gap: number): Rgb {
  const H = Math.max(...images.map((i) => i.height)) + 2 * gap;
  const W = images.reduce((p, i) => p + i.width + gap, gap);
  const data = new Uint8Array(W * H * 3).fill(255);
  let x0 = gap;
  for (const img of images) {
    for (let y = 0; y < img.height; ++y) {
      data.set(img.data.subarray(3 * y * img.width, 3 * (y + 1) * img.width), 3 * ((y + gap) * W + x0));
    }
    x0 += img.width + gap;
  }
  return { width: W, height: H, data };
}

function writePng(file: string, img: Rgb): void {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; ++i) {
    png.data[4 * i] = img.data[3 * i];
    png.data[4 * i + 1] = img.data[3 * i + 1];
    png.data[4 * i + 2] = img.data[3 * i + 2];
    png.data[4 * i + 3] = 255;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      digit: { type: 'string', default: '3' },
      index: { type: 'string', default: '0' },
      out: { type: 'string', default: 'out/filters' },
      strip: { type: 'string', default: 'docs/filters.png' },
    },
  });
  const { test } = nt.datasets.mnist({ train: 0, test: 2000 });
  const [images, labels] = test.tensors;
  // the index-th test image of the chosen digit
  const label = Number(values.digit);
  const i = Array.from(labels.data).map((l, j) => (l === label ? j : -1)).filter((j) => j >= 0)[Number(values.index)];
  if (i === undefined) throw new RangeError(`filters: --index must be below the number of ${label}s in the test set`);
  const digit = images.narrow(0, i, 1); // [1, 1, 28, 28] in [0, 1]
  console.log(`MNIST test digit #${i} (a ${labels.data[i]}), 28x28, shown ${SCALE}x`);

  const tiles: [string, Rgb][] = [['original', gray(digit, 0, 1)]];
  nt.noGrad(() => {
    for (const sigma of SIGMAS) {
      const kernel = nt.nn.gaussianKernel2d(null, sigma); // size 2*ceil(3 sigma)+1
      const blurred = nt.nn.fixedConv2d(kernel).forward(digit);
      tiles.push([`blur-sigma${sigma}`, gray(blurred, 0, 1)]);
      console.log(`  blur sigma ${sigma}: ${kernel.shape[0]}x${kernel.shape[1]} Gaussian, max ${(blurred.max().item() as number).toFixed(2)}`);
    }
    const sobel = nt.nn.sobelKernels();
    const gx = nt.nn.fixedConv2d(sobel.x).forward(digit);
    const gy = nt.nn.fixedConv2d(sobel.y).forward(digit);
    const mag = gx.square().add(gy.square()).sqrt();
    const m = mag.max().item() as number;
    tiles.push(['sobel-x', diverging(gx, m)], ['sobel-y', diverging(gy, m)], ['sobel-magnitude', gray(mag, 0, m)]);
    console.log(`  Sobel x, y and magnitude (max ${m.toFixed(2)})`);
  });

  const big = tiles.map(([name, img]) => [name, upscale(img, SCALE)] as const);
  for (const [name, img] of big) writePng(path.join(values.out, `${name}.png`), img);
  console.log(`${big.length} images written to ${values.out}/ (${big.map(([n]) => n).join(', ')})`);
  writePng(values.strip, strip(big.map(([, img]) => img), 8));
  console.log(`strip written to ${values.strip}`);
}

main();
