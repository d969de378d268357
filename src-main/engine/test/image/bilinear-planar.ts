// Bilinear resize of float planes in plain JavaScript, reproducing onnxruntime's Resize(mode=linear,
// coordinate_transformation_mode=half_pixel, no antialias): an independent reference for the pixel graph's tests.
/** Source sample positions and weights along one axis, in float32 as onnxruntime computes them. */
function axisTaps(inSize: number, outSize: number) {
  const f = Math.fround;
  const scale = f(outSize / inSize);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const wLo = new Float32Array(outSize);
  const wHi = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let x = f(f(f(o + 0.5) / scale) - 0.5);
    x = Math.max(0, Math.min(x, inSize - 1));
    const a = Math.min(Math.trunc(x), inSize - 1);
    const b = Math.min(a + 1, inSize - 1);
    lo[o] = a;
    hi[o] = b;
    if (a === b) {
      wLo[o] = 0.5;
      wHi[o] = 0.5;
    } else {
      wLo[o] = f(Math.abs(x - b));
      wHi[o] = f(Math.abs(x - a));
    }
  }
  return { lo, hi, wLo, wHi };
}

/** Bilinear resize of planar float data [channels, inH, inW] → [channels, outH, outW]. */
export function resizeBilinearPlanar(
  src: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): Float32Array {
  const out = new Float32Array(channels * outH * outW);
  const xs = axisTaps(inW, outW);
  const ys = axisTaps(inH, outH);
  for (let c = 0; c < channels; c++) {
    const plane = c * inH * inW;
    const outPlane = c * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      const r1 = plane + ys.lo[oy] * inW;
      const r2 = plane + ys.hi[oy] * inW;
      const wy1 = ys.wLo[oy];
      const wy2 = ys.wHi[oy];
      const row = outPlane + oy * outW;
      for (let ox = 0; ox < outW; ox++) {
        const x1 = xs.lo[ox];
        const x2 = xs.hi[ox];
        const wx1 = xs.wLo[ox];
        const wx2 = xs.wHi[ox];
        out[row + ox] = wx1 * wy1 * src[r1 + x1] + wx2 * wy1 * src[r1 + x2] + wx1 * wy2 * src[r2 + x1] + wx2 * wy2 * src[r2 + x2];
      }
    }
  }
  return out;
}
