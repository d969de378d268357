// Paths of the graphs the surgery tests read: the tiny ViTs built by
// models/scripts/surgery_build_test_graphs.py, and the real Gemma 3 vision export (graph only).
import { fileURLToPath } from 'node:url';

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

export const TINY_VIT = {
  unfused: testdata('vit-unfused-opset14.onnx'),
  multiHeadAttention: testdata('vit-mha-opset18.onnx'),
  multiHeadAttentionExternal: testdata('vit-mha-external/model.onnx'),
  packedAttention: testdata('vit-packed-opset17.onnx'),
  groupQueryAttention: testdata('vit-gqa.onnx'),
  softmaxOverHeads: testdata('vit-softmax-axis1.onnx'),
  noAttention: testdata('mlp-only.onnx'),
};
/** [CLS] + 16 patches, 4 heads, 3 layers; input `patches` [batch, 16, 12]. */
export const TINY_VIT_SHAPE = { tokens: 17, heads: 4, layers: 3, patches: 16, patchDim: 12 };

// Built by models/scripts/build_smolvlm_fixture.py: eager and MultiHeadAttention twins of the same weights.
const graphs = (name: string) => fileURLToPath(new URL(`../../../../models/fixtures/graphs/${name}`, import.meta.url));
export const FIXTURE_GRAPHS = {
  siglipUnfused: graphs('tiny-siglip-unfused.onnx'),
  siglipFused: graphs('tiny-siglip-fused.onnx'),
  clipUnfused: graphs('tiny-clip-unfused.onnx'),
  clipFused: graphs('tiny-clip-fused.onnx'),
};
export const TINY_SMOLVLM_VISION = fileURLToPath(
  new URL('../../../../models/fixtures/tiny-smolvlm/onnx/vision_encoder.onnx', import.meta.url),
);

// test-assets/onnx-graphs/gemma3-4b-vision-encoder/SOURCE.md says where it comes from.
const gemma = (name: string) =>
  fileURLToPath(new URL(`../../../../test-assets/onnx-graphs/gemma3-4b-vision-encoder/${name}`, import.meta.url));
export const GEMMA3_VISION = { fp32: gemma('vision_encoder.onnx'), q4: gemma('vision_encoder_q4.onnx') };
