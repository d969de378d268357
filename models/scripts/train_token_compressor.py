"""Train the `explain` token compressor (arXiv 2506.01097) for the tiny LLaVA fixture and export it to
models/fixtures/tiny-llava/onnx/token_compressor.onnx.

Run with Debian's torch:  nice -n 10 /usr/bin/python3 models/scripts/train_token_compressor.py
(--tiny checks the whole pipeline in about a minute).

1. The fixture's own weights are read back from its ONNX files into the PyTorch model they were exported from
   (the checkpoint is not kept), and its answers are checked: a wrong mapping answers at chance.
2. Targets. For scenes of a seed of their own that the fixture answers correctly, the gradient-weighted
   attention relevance of Chefer et al. (arXiv 2103.15679, self-attention rule): for each generated answer
   token y, R = I, then for every decoder layer R <- R + mean_heads((A * dy/dA)^+) @ R; the row of the
   position that predicts y, restricted to the visual tokens; averaged over the answer's tokens. The bottom
   50% is set to zero and the rest renormalised to sum 1.
3. Input. The first decoder layer's attention from the instruction's tokens (every prompt token after the
   image) to the visual tokens, averaged over those tokens and the heads: one value per visual token, as the
   engine computes it from the first-layer probe.
4. Network. Five 1-D depthwise-separable convolutions with 32, 64, 128, 256, 512 channels (GELU between),
   a pointwise convolution to one channel and a softmax over the visual tokens; KL divergence to the
   targets; Adam. The input is divided by its mean so that its scale does not depend on the token count.
"""
import argparse
import json
import os
import re
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(__file__))
from llava_fixture_data import CLS_TARGET_SIZE, EOS, PATCH_CLASSES, SceneSet, Tokenizer, synthesize  # noqa: E402
from llava_fixture_model import TextConfig, TinyLlava, VisionConfig  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'tiny-llava')
CLIP_MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
CLIP_STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
CHANNELS = (32, 64, 128, 256, 512)
OPSET = 14


# --- the fixture, read back from its ONNX files ---------------------------------------------------------------

def onnx_weights(path: str):
    """Named initializers, and the exporter's anonymous MatMul weights in the order it made them."""
    named, anonymous = {}, []
    for init in onnx.load(path).graph.initializer:
        match = re.fullmatch(r'onnx::MatMul_(\d+)', init.name)
        if match:
            anonymous.append((int(match.group(1)), numpy_helper.to_array(init)))
        else:
            named[init.name] = numpy_helper.to_array(init)
    return named, [w for _, w in sorted(anonymous, key=lambda x: x[0])]


def load_fixture(fixture: str):
    tokenizer = json.load(open(os.path.join(fixture, 'tokenizer.json')))
    vocab = [w for w, _ in sorted(tokenizer['model']['vocab'].items(), key=lambda x: x[1])]
    model = TinyLlava(VisionConfig(), TextConfig(vocab_size=len(vocab)), CLS_TARGET_SIZE, PATCH_CLASSES)
    params = dict(model.named_parameters())
    loaded = set()

    def put(name, value):
        assert params[name].shape == value.shape, f'{name}: {tuple(params[name].shape)} vs {value.shape}'
        params[name].data.copy_(torch.from_numpy(np.array(value)))
        loaded.add(name)

    onnx_dir = os.path.join(fixture, 'onnx')
    vc, tc = model.vision_tower.cfg, model.language_model.cfg
    # The exported vision graph holds the layers up to the penultimate one; the decoder all of them.
    vision_linears = [f'vision_tower.layers.{i}.{p}' for i in range(vc.num_hidden_layers - 1)
                      for p in ('self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.out_proj', 'fc1', 'fc2')]
    vision_linears += ['multi_modal_projector.linear_1', 'multi_modal_projector.linear_2']
    text_linears = [f'language_model.layers.{i}.{p}' for i in range(tc.num_hidden_layers)
                    for p in ('self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj',
                              'gate_proj', 'up_proj', 'down_proj')] + ['language_model.lm_head']
    for file, prefix, linears in (('vision_encoder', 'model.', vision_linears),
                                  ('decoder_model_merged', 'lm.', text_linears),
                                  ('embed_tokens', 'embed.', [])):
        named, anonymous = onnx_weights(os.path.join(onnx_dir, f'{file}.onnx'))
        if file == 'vision_encoder':
            # The exporter names the [CLS] embedding after the Expand that reads it ([1, 1, hidden]).
            (cls_name,) = [n for n in named if n.startswith('onnx::Expand_')]
            put('vision_tower.class_embedding', named.pop(cls_name).reshape(-1))
        target_prefix = {'model.': '', 'lm.': 'language_model.', 'embed.': 'language_model.embed_tokens.'}[prefix]
        for name, value in named.items():
            if name.startswith(prefix):
                put(target_prefix + name[len(prefix):], value)
        assert len(anonymous) == len(linears), f'{file}: {len(anonymous)} MatMul weights for {len(linears)} linears'
        for name, value in zip(linears, anonymous):
            put(f'{name}.weight', value.T)
    needed = [n for n in params if not n.startswith(('cls_heads', 'patch_heads', 'vision_tower.post_layernorm',
                                                      f'vision_tower.layers.{vc.num_hidden_layers - 1}.'))]
    missing = [n for n in needed if n not in loaded]
    assert not missing, f'not in the ONNX files: {missing}'
    model.eval()
    return model, Tokenizer(vocab)


# --- targets and inputs -----------------------------------------------------------------------------------------

def normalize(images_uint8: np.ndarray) -> torch.Tensor:
    return (torch.from_numpy(images_uint8).float() / 255.0 - CLIP_MEAN) / CLIP_STD


def scene_batch(model, tok, head, feats, questions):
    """The scene's questions, each with its expected answer and </s>, as one right-padded batch (teacher
    forcing: greedy decoding gives the expected answer exactly when every argmax below matches it)."""
    embed = model.language_model.embed_tokens
    rows, prompt_lengths, answers = [], [], []
    for qa in questions:
        suffix, answer = tok.prompt_suffix(qa['question']), tok.encode(qa['answer']) + [tok.id(EOS)]
        rows.append(torch.cat([head[0], feats[0], embed(torch.tensor(suffix + answer)).detach()]))
        prompt_lengths.append(head.shape[1] + feats.shape[1] + len(suffix))
        answers.append(answer)
    n = max(len(r) for r in rows)
    embeds = torch.zeros(len(rows), n, rows[0].shape[1])
    mask = torch.zeros(len(rows), n, dtype=torch.long)
    for b, r in enumerate(rows):
        embeds[b, :len(r)], mask[b, :len(r)] = r, 1
    return embeds, mask, prompt_lengths, answers


def scene_samples(model, tok, head, feats, questions):
    """(relevance, first-layer input, question) for each question of one scene the fixture answers correctly:
    the Chefer relevance of the visual tokens (averaged over the answer's tokens) and the first layer's
    instruction-to-visual attention (mean over the prompt tokens after the image and over heads)."""
    layers = model.language_model.layers
    embeds, mask, prompt_lengths, answers = scene_batch(model, tok, head, feats, questions)
    b, n = mask.shape
    for layer in layers:
        layer.self_attn.keep_probs = True
    try:
        logits, _ = model.language_model(embeds, mask, torch.arange(n).expand(b, n))
        probs = [layer.self_attn.probs for layer in layers]
    finally:
        for layer in layers:
            layer.self_attn.keep_probs = False
    image_start, image_end = head.shape[1], head.shape[1] + feats.shape[1]
    predicted = logits.argmax(-1)
    correct = [i for i in range(b) if all(int(predicted[i, prompt_lengths[i] - 1 + j]) == t for j, t in enumerate(answers[i]))]
    relevance = {i: torch.zeros(feats.shape[1]) for i in correct}
    # One backward per answer position: the batch's rows are independent, so the gradient of their sum holds
    # each row's own gradient.
    for j in range(max((len(answers[i]) - 1 for i in correct), default=0)):
        rows = [(i, prompt_lengths[i] - 1 + j, answers[i][j]) for i in correct if j < len(answers[i]) - 1]
        grads = torch.autograd.grad(sum(logits[i, r, t] for i, r, t in rows), probs, retain_graph=True)
        for i, r, _ in rows:
            # Row r of R = (I + A_L) ... (I + A_1), A_l = mean_heads((A * dy/dA)^+), as a vector: O(n^2).
            v = torch.zeros(n)
            v[r] = 1
            for a, g in zip(reversed(probs), reversed(grads)):
                v = v + v @ (a[i] * g[i]).clamp(min=0).mean(0)
            relevance[i] += v[image_start:image_end].detach()
    first = probs[0].detach().mean(1)  # [b, n, n], heads averaged
    return [(relevance[i] / (len(answers[i]) - 1), first[i, image_end:prompt_lengths[i], image_start:image_end].mean(0), questions[i])
            for i in correct]


def sparse_target(relevance: torch.Tensor):
    """Bottom half set to zero, the rest renormalised; None when nothing is left (no positive relevance)."""
    t = relevance.clamp(min=0)
    t[t < t.median()] = 0
    total = float(t.sum())
    return t / total if total > 0 else None


def build_samples(model, tok, data: SceneSet, log):
    inputs, targets, kinds, asked, correct = [], [], [], 0, 0
    head = model.language_model.embed_tokens(torch.tensor([tok.encode('USER:')])).detach()
    started = time.time()
    for i in range(len(data)):
        with torch.no_grad():
            feats = model.encode(normalize(data.images[i:i + 1]))[0]
        asked += len(data.questions[i])
        for relevance, attention, qa in scene_samples(model, tok, head, feats, data.questions[i]):
            correct += 1
            target = sparse_target(relevance)
            if target is None:
                continue
            inputs.append(attention)
            targets.append(target)
            kinds.append(qa['type'])
        if (i + 1) % 100 == 0:
            log(f'  {i + 1}/{len(data)} scenes, {correct}/{asked} answered correctly, {time.time() - started:.0f} s')
    return torch.stack(inputs), torch.stack(targets), kinds, {'questions': asked, 'correct': correct}


# --- the compressor ---------------------------------------------------------------------------------------------

class TokenCompressor(nn.Module):
    def __init__(self, kernel: int):
        super().__init__()
        layers, width = [], 1
        for channels in CHANNELS:
            layers += [nn.Conv1d(width, width, kernel, padding=kernel // 2, groups=width), nn.Conv1d(width, channels, 1), nn.GELU()]
            width = channels
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv1d(width, 1, 1)

    def logits(self, attention):
        x = attention / attention.mean(-1, keepdim=True).clamp(min=1e-12)
        return self.head(self.body(x.unsqueeze(1))).squeeze(1)

    def forward(self, attention):
        return torch.softmax(self.logits(attention), -1)


def kl_loss(net, x, t):
    return F.kl_div(torch.log_softmax(net.logits(x), -1), t, reduction='batchmean')


def top_mass(scores: torch.Tensor, targets: torch.Tensor, fraction: float) -> float:
    """Mean target mass on the top `fraction` of tokens by `scores`."""
    k = max(1, round(fraction * scores.shape[1]))
    return float(targets.gather(1, scores.topk(k, dim=1).indices).sum(1).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--work', default='/tmp/vtc-token-compressor', help='scenes and cached samples')
    ap.add_argument('--fixture', default=FIXTURE)
    ap.add_argument('--scenes', type=int, default=1500, help='scenes with 5 questions each (seed --seed)')
    ap.add_argument('--seed', type=int, default=11, help="the scenes' seed: not the fixture's (1-3) nor EVAL.md's (2024)")
    ap.add_argument('--minutes', type=float, default=12.0, help='training wall-clock budget')
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--kernel', type=int, default=5, help='depthwise kernel size (the paper does not give it)')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--tiny', action='store_true', help='one-minute end-to-end check')
    args = ap.parse_args()
    if args.tiny:
        args.scenes, args.minutes = 40, 0.2
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    os.makedirs(args.work, exist_ok=True)
    log = lambda msg: print(msg, flush=True)

    model, tok = load_fixture(args.fixture)
    vision = model.vision_tower.cfg
    scenes_dir = os.path.join(args.work, f'scenes-{args.scenes}-{args.seed}')
    synthesize(scenes_dir, args.scenes, seed=args.seed, size=vision.image_size, questions=5)
    data = SceneSet(scenes_dir, vision.patch_size)
    samples_path = os.path.join(args.work, f'samples-{args.scenes}-{args.seed}.pt')
    if os.path.exists(samples_path):
        x, t, kinds, answered = torch.load(samples_path)
    else:
        t0 = time.time()
        x, t, kinds, answered = build_samples(model, tok, data, log)
        answered['seconds'] = round(time.time() - t0, 1)
        torch.save((x, t, kinds, answered), samples_path)
    log(f'{len(x)} samples from {answered["questions"]} questions; the fixture answered {answered["correct"]} correctly')

    held_out = max(1, len(x) // 10)
    x_train, t_train, x_val, t_val = x[held_out:], t[held_out:], x[:held_out], t[:held_out]
    net = TokenCompressor(args.kernel)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    started, step, epoch = time.time(), 0, 0
    budget = args.minutes * 60
    while time.time() - started < budget:
        order = torch.randperm(len(x_train))
        for b in range(0, len(order), args.batch):
            progress = (time.time() - started) / budget
            if progress >= 1:
                break
            for group in opt.param_groups:
                group['lr'] = args.lr * 0.5 * (1 + np.cos(np.pi * progress))
            idx = order[b:b + args.batch]
            loss = kl_loss(net, x_train[idx], t_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
        epoch += 1
        with torch.no_grad():
            log(f'epoch {epoch}, step {step}, {time.time() - started:.0f} s: train KL {float(loss):.4f}, '
                f'held-out KL {float(kl_loss(net, x_val, t_val)):.4f}')
    net.eval()
    with torch.no_grad():
        predicted = net(x_val)
        report = {
            'samples': len(x), 'held_out': held_out, 'scenes': args.scenes, 'questions_per_scene': 5,
            'scene_seed': args.seed, 'answered': answered, 'question_types': {k: kinds.count(k) for k in sorted(set(kinds))},
            'channels': list(CHANNELS), 'kernel': args.kernel, 'batch': args.batch, 'lr': args.lr,
            'optimizer': 'Adam, cosine schedule', 'minutes': args.minutes, 'steps': step, 'epochs': epoch,
            'held_out_kl': float(kl_loss(net, x_val, t_val)),
            # How much of the target's mass the top tokens hold, ranked by the network and by its raw input.
            'target_mass_in_top': {
                f'{f:.2f}': {'compressor': top_mass(predicted, t_val, f), 'first_layer_attention': top_mass(x_val, t_val, f)}
                for f in (0.5, 0.25, 0.11)},
        }
    log(json.dumps(report, indent=1))
    out = os.path.join(args.fixture, 'onnx', 'token_compressor.onnx')
    torch.onnx.export(net, (torch.rand(1, x.shape[1]),), out, opset_version=OPSET,
                      input_names=['attention'], output_names=['scores'],
                      dynamic_axes={'attention': {0: 'batch_size', 1: 'visual_tokens'},
                                    'scores': {0: 'batch_size', 1: 'visual_tokens'}})
    with open(os.path.join(args.fixture, 'token-compressor-report.json'), 'w') as f:
        json.dump(report, f, indent=2)
        f.write('\n')
    log(f'exported {out}')


if __name__ == '__main__':
    main()
