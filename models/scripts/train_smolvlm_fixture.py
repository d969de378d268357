"""Train the SmolVLM-layout fixture (models/fixtures/tiny-smolvlm-trained) on large synthetic scenes.

Run from anywhere with Debian's torch:  nice -n 10 /usr/bin/python3 models/scripts/train_smolvlm_fixture.py
(--tiny checks the whole pipeline in a few minutes). Needs `apt-get install libopenblas0-pthread` as the
LLaVA fixture does.

The model is Idefics3 as SmolVLM has it, shrunk: 192 px scenes (the processor's longest edge) cut into 3 x 3
crops of 64 px plus a 64 px global view; a SigLIP-style tower without [CLS] (convolutional stem to 4 px
patches, 16 x 16 patches per tile, 4 layers); 4 x 4 pixel shuffle (16 tokens per tile, 160 per scene) and
a linear projection; the LLaMA-style decoder of the LLaVA fixture over a word-level vocabulary that holds
Idefics3's special tokens. Two stages, as the LLaVA fixture (train_llava_fixture.py):
1. Vision pretraining on single tiles (crops and global views at random): dense heads on the last layer's
   patch states (what the connector reads) name each patch's object colour and shape, whether an object's
   centre is in it and its quadrant of the tile.
2. Language training: the tower is frozen and its pixel-shuffled tokens are computed once per scene; the
   projector and the decoder learn to answer from the exact prompt the chat template and the processor give
   (crop frames, <row_r_col_c>, <global-img>), with all questions of a scene packed after its image under
   a block mask. A quarter of the batches keep only object tokens and some background, and a quarter drop
   whole crops (the global view always stays), so that token and crop budgets meet prompts the decoder knows.
"""
import argparse
import os
import sys
import time

# OpenBLAS's own threads on top of torch's oversubscribe a shared machine (see --threads); set before torch loads.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llava_fixture_data import SceneSet, Tokenizer, synthesize  # noqa: E402
from llava_fixture_model import LanguageModel, TextConfig, VisionConfig, conv_stem  # noqa: E402
from smolvlm_fixture_data import PAD, PromptTokens, build_vocab, tile_targets, tiles_of, token_on_object  # noqa: E402
from tiny_vision import Idefics3VisionEncoder  # noqa: E402
from train_llava_fixture import cpu_has_bf16, lr_at  # noqa: E402

GRID, SCENE, TILE, PATCH, SCALE = 3, 192, 64, 8, 2
VISION = {'hidden_size': 64, 'num_attention_heads': 4, 'num_hidden_layers': 4, 'intermediate_size': 256,
          'patch_size': PATCH, 'image_size': TILE, 'layer_norm_eps': 1e-6}
# The LLaVA fixture's decoder sizes (hidden 128, 3 layers, 4 heads, SwiGLU 384): proven on these scenes.
TEXT = {'hidden_size': 128, 'num_hidden_layers': 3, 'num_attention_heads': 4, 'intermediate_size': 384}
PATCH_CLASSES = (7, 5, 2, 4)
MAX_ANSWER_TOKENS = 4


class SmolTower(Idefics3VisionEncoder):
    """Idefics3VisionEncoder with a convolutional stem (ViT-C) as its patch embedding: a from-scratch tower
    this small learns shapes in CPU minutes that way (see the LLaVA fixture's README)."""

    def __init__(self, text_hidden: int):
        super().__init__(VISION, text_hidden, SCALE)
        self.patch_embedding = conv_stem(VisionConfig(image_size=TILE, patch_size=PATCH, hidden_size=VISION['hidden_size']))


class SmolFixture(torch.nn.Module):
    def __init__(self, vocab_size: int):
        super().__init__()
        self.text_config = TextConfig(vocab_size=vocab_size, **TEXT)
        self.vision = SmolTower(self.text_config.hidden_size)
        self.language_model = LanguageModel(self.text_config)
        self.patch_heads = torch.nn.ModuleList(torch.nn.Linear(VISION['hidden_size'], n) for n in PATCH_CLASSES)

    def shuffled(self, tiles: torch.Tensor) -> torch.Tensor:
        """[n, 3, T, T] tiles -> [n, tokens, hidden * SCALE^2] pixel-shuffled states, before the projection."""
        x, rows, cols = self.vision.tower(tiles)
        return self.vision.pixel_shuffle(x, rows, cols)


def vision_step(model: SmolFixture, tiles: torch.Tensor, labels: torch.Tensor):
    x, _, _ = model.vision.tower(tiles)
    on_object = labels[..., 0] > 0
    targets = [labels[..., 0], labels[..., 1].masked_fill(~on_object, -100), labels[..., 2], labels[..., 3]]
    logits = [head(x) for head in model.patch_heads]
    loss = sum(F.cross_entropy(lg.reshape(-1, lg.shape[-1]), t.reshape(-1), ignore_index=-100) for lg, t in zip(logits, targets))
    accuracy = [float((lg.argmax(-1) == labels[..., j])[on_object].float().mean()) for j, lg in enumerate(logits)]
    return loss, accuracy


def kept_tokens(on_object: np.ndarray, rng: np.random.RandomState, mode: str) -> list:
    """Per tile (crops then global), the kept token indices in order; None for a dropped crop."""
    tiles, n = on_object.shape
    if mode == 'full':
        return [np.arange(n)] * tiles
    if mode == 'crops':
        keep = rng.rand(tiles - 1) < rng.uniform(0.2, 0.9)
        return [np.arange(n) if k else None for k in keep] + [np.arange(n)]
    # Object tokens and a random share of the background, over the whole image (one global budget).
    flat = on_object.reshape(-1)
    k = rng.randint(max(int(flat.sum()), tiles * n // 16), tiles * n + 1)
    order = np.argsort(-(rng.rand(flat.size) + 2.0 * flat), kind='stable')[:k]
    chosen = np.zeros(flat.size, bool)
    chosen[order] = True
    return [np.nonzero(row)[0] for row in chosen.reshape(tiles, n)]


def image_prefix(model: SmolFixture, prompt: PromptTokens, features: torch.Tensor, kept: list) -> torch.Tensor:
    """The embedded prompt up to the end of the image, [len, hidden]: head, then each kept crop's frame and
    kept tokens (a dropped crop is not spelled at all), then the global view in its frame."""
    embed = model.language_model.embed_tokens
    ids = lambda xs: embed(torch.tensor(xs))
    parts = [ids(prompt.head)]
    for t in range(GRID * GRID):
        if kept[t] is not None:
            parts += [ids(prompt.crop(t // GRID, t % GRID)), features[t, torch.from_numpy(kept[t])]]
    parts += [ids([prompt.fake, prompt.global_img]), features[-1, torch.from_numpy(kept[-1])], ids([prompt.fake])]
    return torch.cat(parts)


def language_step(model, prompt, shuffled, on_object, batch_questions, rng):
    """Answer tokens after each question, every question of a scene packed after its one image prefix; a
    block mask shows each question the prefix and itself, and its positions continue from the prefix."""
    lm = model.language_model
    # float32 here: torch.cat of the embedded frame tokens with autocast's bfloat16 features would not promote.
    feats = model.vision.modality_projection(shuffled).float()
    rows = []
    for i, qs in enumerate(batch_questions):
        mode = rng.choice(['full', 'full', 'tokens', 'crops'])
        prefix = image_prefix(model, prompt, feats[i], kept_tokens(on_object[i], rng, mode))
        p = prefix.shape[0]
        ids, labels, positions, segments = [], [], [], []
        for j, qa in enumerate(qs):
            q, a = prompt.question(qa['question']), prompt.answer(qa['answer'])
            ids += q + a
            # The logit at position t predicts token t+1: supervise the answer and <end_of_utterance>.
            labels += [-100] * (len(q) - 1) + a + [-100]
            positions += range(p, p + len(q) + len(a))
            segments += [j + 1] * (len(q) + len(a))
        rows.append((prefix, ids, labels, list(range(p)) + positions, [0] * p + segments))
    s = max(r[0].shape[0] + len(r[1]) for r in rows)
    b, hidden = len(rows), feats.shape[-1]
    x = torch.zeros(b, s, hidden, dtype=feats.dtype)
    label_t = torch.full((b, s), -100, dtype=torch.long)
    pos_t = torch.zeros(b, s, dtype=torch.long)
    seg_t = torch.full((b, s), -1, dtype=torch.long)
    for i, (prefix, ids, labels, positions, segments) in enumerate(rows):
        p, n = prefix.shape[0], len(ids)
        x[i, :p] = prefix
        x[i, p:p + n] = lm.embed_tokens(torch.tensor(ids))
        label_t[i, p:p + n] = torch.tensor(labels)
        pos_t[i, :p + n] = torch.tensor(positions)
        seg_t[i, :p + n] = torch.tensor(segments)
    order = torch.arange(s)
    causal = order[None, :] <= order[:, None]
    same = ((seg_t[:, None, :] == 0) | (seg_t[:, None, :] == seg_t[:, :, None])) & (seg_t[:, None, :] >= 0)
    logits, _ = lm(x, torch.ones(b, s, dtype=torch.long), pos_t, visible=causal & same)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), label_t.reshape(-1), ignore_index=-100)


@torch.no_grad()
def shuffled_tokens(model: SmolFixture, images: np.ndarray, batch: int = 16) -> torch.Tensor:
    """The frozen tower's pixel-shuffled tokens for every scene, [n, tiles, tokens, dim] in fp16."""
    out = []
    for i in range(0, len(images), batch):
        tiles = tiles_of(images[i:i + batch], GRID)
        n, t = tiles.shape[:2]
        x = model.shuffled(tiles.reshape(n * t, *tiles.shape[2:]))
        out.append(x.reshape(n, t, *x.shape[1:]).half())
    return torch.cat(out)


@torch.no_grad()
def answer(model, prompt: PromptTokens, tok: Tokenizer, past: list, p: int, question: str) -> str:
    """Greedy decoding after an image prefix of length p whose KV cache is `past`."""
    lm = model.language_model
    ids, pos, out = prompt.question(question), p, []
    for _ in range(MAX_ANSWER_TOKENS + 1):
        x = lm.embed_tokens(torch.tensor([ids]))
        n = x.shape[1]
        logits, past = lm(x, torch.ones(1, pos + n, dtype=torch.long), torch.arange(pos, pos + n)[None], past)
        pos += n
        nxt = int(logits[0, -1].argmax())
        if nxt == prompt.eou:
            break
        out.append(nxt)
        ids = [nxt]
    return tok.decode(out)


@torch.no_grad()
def evaluate(model, prompt, tok, images, questions, log=print) -> dict:
    """Exact match per question type with every token and with a random half of the crops (the global view
    kept): the engine's `vtc eval` measures the real methods."""
    model.eval()
    rng = np.random.RandomState(0)
    results = {}
    for i in range(len(images)):
        feats = model.vision.modality_projection(shuffled_tokens(model, images[i:i + 1])[0].float())
        n = feats.shape[1]
        variants = {'full': [np.arange(n)] * feats.shape[0],
                    'crops@0.5': [np.arange(n) if k else None for k in rng.permutation(GRID * GRID) < (GRID * GRID + 1) // 2] + [np.arange(n)]}
        for name, kept in variants.items():
            prefix = image_prefix(model, prompt, feats, kept)
            p = prefix.shape[0]
            _, past = model.language_model(prefix[None], torch.ones(1, p, dtype=torch.long), torch.arange(p)[None])
            for qa in questions[i]:
                ok = answer(model, prompt, tok, past, p, qa['question']) == qa['answer']
                results.setdefault(name, {}).setdefault(qa['type'], []).append(ok)
    model.train()
    summary = {}
    for name, per in results.items():
        summary[name] = {t: sum(v) / len(v) for t, v in sorted(per.items())}
        every = [x for v in per.values() for x in v]
        summary[name]['all'] = sum(every) / len(every)
        log(f'  {name:12s} ' + ' '.join(f'{t}={v:.3f}' for t, v in summary[name].items()))
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--work', default='/tmp/vtc-tiny-smolvlm-trained', help='scene cache and checkpoints')
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'tiny-smolvlm-trained'))
    ap.add_argument('--scenes', type=int, default=8000, help='training scenes: tiles for stage 1, questions for stage 2')
    ap.add_argument('--questions', type=int, default=15, help='distinct questions per training scene')
    ap.add_argument('--eval-scenes', type=int, default=200)
    ap.add_argument('--vision-minutes', type=float, default=10.0)
    ap.add_argument('--language-minutes', type=float, default=30.0)
    ap.add_argument('--vision-batch', type=int, default=64, help='tiles per stage 1 step')
    ap.add_argument('--batch', type=int, default=16, help='scenes per stage 2 step, each with all its questions')
    ap.add_argument('--vision-lr', type=float, default=2e-3)
    ap.add_argument('--language-lr', type=float, default=1e-3)
    ap.add_argument('--bf16', action=argparse.BooleanOptionalAction, default=cpu_has_bf16())
    ap.add_argument('--threads', type=int, default=1,
                    help='torch threads: on the shared machine (load 12-16 on 2 cores) one thread ran a stage 1 '
                         'step in 0.8 s against 4.2 s with two (threads waiting for each other), so 1 by default')
    ap.add_argument('--skip-train', action='store_true', help='evaluate and export the checkpoint only')
    ap.add_argument('--tiny', action='store_true', help='a few-minute end-to-end check of the pipeline')
    args = ap.parse_args()
    if args.tiny:
        args.scenes, args.eval_scenes, args.vision_minutes, args.language_minutes = 300, 10, 0.3, 0.3
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(1)
    np.random.seed(1)
    rng = np.random.RandomState(2)
    os.makedirs(args.work, exist_ok=True)
    log_file = open(os.path.join(args.work, 'train.log'), 'a')

    def log(msg):
        print(msg, flush=True)
        log_file.write(msg + '\n')
        log_file.flush()

    train_dir, eval_dir = os.path.join(args.work, 'train'), os.path.join(args.work, 'eval')
    synthesize(train_dir, args.scenes, seed=11, size=SCENE, questions=args.questions, grid=GRID)
    synthesize(eval_dir, args.eval_scenes, seed=12, size=SCENE, questions=5, grid=GRID)
    t0 = time.time()
    train, test = SceneSet(train_dir, PATCH), SceneSet(eval_dir, PATCH)
    labels = np.stack([tile_targets(objs, SCENE, GRID, PATCH) for objs in train.objects])
    on_object = np.stack([token_on_object(t, TILE // PATCH, SCALE) for t in labels])
    labels = torch.from_numpy(labels)
    log(f'loaded {len(train)} training and {len(test)} evaluation scenes in {time.time() - t0:.1f} s')
    tok = Tokenizer(build_vocab([train.questions, test.questions], GRID))
    prompt = PromptTokens(tok)
    model = SmolFixture(len(tok.vocab))
    log(f'vocabulary {len(tok.vocab)} entries; parameters {sum(p.numel() for p in model.parameters()):,}')
    vision_params = [p for m in (model.vision, model.patch_heads) for p in m.parameters() if p is not model.vision.modality_projection.weight]
    language_params = [model.vision.modality_projection.weight, *model.language_model.parameters()]
    opts = {'vision': torch.optim.AdamW(vision_params, weight_decay=0.01),
            'language': torch.optim.AdamW(language_params, weight_decay=0.01)}
    peak = {'vision': args.vision_lr, 'language': args.language_lr}
    ckpt_path = os.path.join(args.work, 'checkpoint.pt')
    done, steps = {'vision': 0.0, 'language': 0.0}, {'vision': 0, 'language': 0}
    if args.skip_train:
        ckpt = torch.load(ckpt_path)
        assert ckpt['vocab'] == tok.vocab, 'checkpoint vocabulary differs from the data'
        model.load_state_dict(ckpt['model'])
        done, steps = ckpt['seconds'], ckpt['steps']

    def save():
        torch.save({'model': model.state_dict(), 'vocab': tok.vocab, 'seconds': done, 'steps': steps}, ckpt_path)

    def run_stage(name, minutes, step_fn):
        opt, budget = opts[name], minutes * 60
        last_log, window = time.time(), []
        while done[name] < budget:
            started = time.time()
            for g in opt.param_groups:
                g['lr'] = lr_at(done[name] / budget, peak[name])
            loss, metrics = step_fn()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g['params']], 1.0)
            opt.step()
            steps[name] += 1
            done[name] += time.time() - started
            window.append(metrics)
            if time.time() - last_log > 30:
                avg = {k: np.mean([m[k] for m in window], axis=0) for k in window[0]}
                log(f'{name} step {steps[name]} {done[name] / 60:.1f}/{minutes:.0f} min  '
                    + '  '.join(f'{k} {np.round(v, 3)}' for k, v in avg.items()))
                window, last_log = [], time.time()
        save()
        log(f'{name}: {steps[name]} steps in {done[name] / 60:.1f} min of compute')

    def vision_batch():
        scene = rng.randint(0, len(train), args.vision_batch)
        tile = rng.randint(0, GRID * GRID + 1, args.vision_batch)
        tiles = torch.stack([tiles_of(train.images[s:s + 1], GRID)[0, t] for s, t in zip(scene, tile)])
        loss, accuracy = vision_step(model, tiles, labels[scene, tile].long())
        return loss, {'patch': loss.item(), 'object-patch acc (colour shape centre quadrant)': accuracy}

    if not args.skip_train:
        run_stage('vision', args.vision_minutes, vision_batch)
        for p in vision_params:
            p.requires_grad_(False)
        t0 = time.time()
        cached = shuffled_tokens(model, train.images)
        log(f'frozen tower: tokens of {len(train)} scenes in {time.time() - t0:.0f} s; '
            f'stage 2 in {"bfloat16 autocast" if args.bf16 else "float32"}')

        def language_batch():
            idx = rng.randint(0, len(train), args.batch)
            with torch.autocast('cpu', dtype=torch.bfloat16, enabled=args.bf16):
                loss = language_step(model, prompt, cached[idx].float(), on_object[idx], [train.questions[i] for i in idx], rng)
            return loss, {'lm': loss.item()}

        run_stage('language', args.language_minutes, language_batch)
    t0 = time.time()
    log(f'evaluation on {len(test)} fresh scenes ({sum(len(q) for q in test.questions)} questions):')
    summary = evaluate(model, prompt, tok, test.images, test.questions, log=log)
    log(f'evaluated in {time.time() - t0:.0f} s')
    from smolvlm_fixture_export import export_fixture
    export_fixture(model, tok, os.path.abspath(args.out), {
        'steps': steps, 'train_minutes': {k: round(v / 60, 1) for k, v in done.items()},
        'train_scenes': len(train), 'questions_per_scene': args.questions, 'eval_scenes': len(test),
        'accuracy': summary,
    })
    log(f'exported to {os.path.abspath(args.out)}')


if __name__ == '__main__':
    main()
