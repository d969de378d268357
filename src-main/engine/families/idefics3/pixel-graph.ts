// Idefics3's pixel steps after the Lanczos resize, as one onnxruntime graph built in memory: rescale and normalise
// the 8-bit image into planes, stretch it to whole tiles with Resize(linear, half_pixel) (the very kernel
// transformers.js runs for this step), cut the tiles and squeeze the global view. Native and multi-threaded
// where the same steps in JavaScript took most of the preprocessing time; the values are the same float32 ops.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { RgbImage } from '../../image/decode-image';
import {
  ATTR_INT,
  ATTR_INTS,
  ATTR_STRING,
  DT_FLOAT,
  DT_INT64,
  DT_UINT8,
  type OnnxNode,
  type OnnxValueInfo,
} from '../../surgery/onnx-proto';
import { encodeSmallModel } from '../../surgery/small-model';

const text = (s: string) => new TextEncoder().encode(s);
const node = (opType: string, input: string[], output: string, attribute: OnnxNode['attribute'] = []): OnnxNode => ({
  input,
  output: [output],
  name: output,
  opType,
  domain: '',
  attribute,
});
const perm = (...ints: number[]) => [{ name: 'perm', type: ATTR_INTS, ints }];
const BILINEAR = [
  { name: 'mode', type: ATTR_STRING, s: text('linear') },
  { name: 'coordinate_transformation_mode', type: ATTR_STRING, s: text('half_pixel') },
];
const value = (name: string, elemType: number, dims: (number | string)[]): OnnxValueInfo => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

/**
 * pixels uint8 [1, h, w, 3] → pixel_values float [rows*cols + 1, 3, T, T]: the tiles row by row, then the global
 * view. The sizes come in as inputs, so one session serves every photo.
 */
function pixelModel(): Uint8Array {
  return encodeSmallModel({
    name: 'idefics3-pixels',
    nodes: [
      node('Transpose', ['pixels'], 'planes8', perm(0, 3, 1, 2)),
      node('Cast', ['planes8'], 'planes', [{ name: 'to', type: ATTR_INT, i: DT_FLOAT }]),
      node('Mul', ['planes', 'rescale'], 'rescaled'),
      node('Sub', ['rescaled', 'mean'], 'centred'),
      node('Div', ['centred', 'std'], 'normalised'),
      node('Resize', ['normalised', '', '', 'aligned_size'], 'aligned', BILINEAR),
      node('Resize', ['aligned', '', '', 'global_size'], 'global', BILINEAR),
      // [1, 3, rows*T, cols*T] → [3, rows, T, cols, T] → [rows, cols, 3, T, T] → [rows*cols, 3, T, T].
      node('Reshape', ['aligned', 'tile_grid'], 'grid'),
      node('Transpose', ['grid'], 'tiles_grid', perm(1, 3, 0, 2, 4)),
      node('Reshape', ['tiles_grid', 'tiles_shape'], 'tiles'),
      node('Concat', ['tiles', 'global'], 'pixel_values', [{ name: 'axis', type: ATTR_INT, i: 0 }]),
    ],
    inputs: [
      value('pixels', DT_UINT8, [1, 'h', 'w', 3]),
      value('rescale', DT_FLOAT, [1]),
      value('mean', DT_FLOAT, [1, 3, 1, 1]),
      value('std', DT_FLOAT, [1, 3, 1, 1]),
      value('aligned_size', DT_INT64, [4]),
      value('global_size', DT_INT64, [4]),
      value('tile_grid', DT_INT64, [5]),
      value('tiles_shape', DT_INT64, [4]),
    ],
    outputs: [value('pixel_values', DT_FLOAT, ['tiles', 3, 'tile', 'tile'])],
  });
}

export interface PixelNormalisation {
  rescale: number;
  mean: number[];
  std: number[];
}

export interface TileCut {
  /** Size the normalised image is stretched to before cutting: rows*T x cols*T. */
  height: number;
  width: number;
  rows: number;
  cols: number;
  tileSize: number;
}

const int64 = (values: number[]) => new Tensor('int64', BigInt64Array.from(values, BigInt), [values.length]);

export class PixelGraph {
  private session?: Promise<InferenceSession>;

  /** The tiles of `cut` followed by the global view (squeezed from the stretched image), [rows*cols + 1, 3, T, T]. */
  async run(image: RgbImage, norm: PixelNormalisation, cut: TileCut): Promise<Float32Array> {
    // One small session per process, opened on first use. It keeps its memory arena (about 200 MB after a 13-tile
    // photo): without it every run maps its buffers afresh, and the page faults cost 5x the arithmetic.
    this.session ??= InferenceSession.create(pixelModel(), { graphOptimizationLevel: 'all' });
    const { rows, cols, tileSize: T } = cut;
    const out = await (
      await this.session
    ).run({
      pixels: new Tensor('uint8', image.data, [1, image.height, image.width, 3]),
      rescale: new Tensor('float32', Float32Array.of(norm.rescale), [1]),
      mean: new Tensor('float32', Float32Array.from(norm.mean), [1, 3, 1, 1]),
      std: new Tensor('float32', Float32Array.from(norm.std), [1, 3, 1, 1]),
      aligned_size: int64([1, 3, cut.height, cut.width]),
      global_size: int64([1, 3, T, T]),
      tile_grid: int64([3, rows, T, cols, T]),
      tiles_shape: int64([rows * cols, 3, T, T]),
    });
    return out.pixel_values.data as Float32Array;
  }
}
