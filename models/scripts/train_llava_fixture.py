"""Train the tiny LLaVA-style fixture on synthetic scenes and export it to models/fixtures/tiny-llava.

Run from anywhere with Debian's torch:  /usr/bin/python3 models/scripts/train_llava_fixture.py
(--tiny checks the whole pipeline in a couple of minutes). With Debian's reference BLAS torch is ~5x
slower: `apt-get install libopenblas0-pthread` first.

Two stages, as LLaVA is made (a pretrained CLIP tower, then the projector and LLM trained on top of it with
the tower frozen):
1. Vision pretraining. LLaVA never trains [CLS]; CLIP's contrastive loss does. Here linear heads on the
   [CLS] of the penultimate and the last layer name the colours, shapes and (colour, shape) objects present
   and the object count, so late [CLS] attention has to find every object: that is what VTC-CLS scores.
   Dense heads on the penultimate patch tokens (what the LLM reads) predict each patch's object colour and
   shape, whether an object's centre is in it, and its quadrant.
2. Language training. The tower is frozen and its penultimate patch tokens are computed once per training
   scene; the projector and the LLM learn to answer from them. The LLM sees each scene's prefix ("USER:" +
   image tokens) once, with all its questions packed after it in one sequence and a block mask that keeps
   them from seeing each other (~4x cheaper on CPU than one sequence per question).
   In half of the batches only part of the image tokens is kept (original order, contiguous positions), so
   the LLM reads object positions from the features rather than from its own position ids and copes with
   shorter image prefixes. Those subsets drop background tokens only: a subset that drops the object a
   question asks about turns its answer into a guess the LLM is then taught to make.
   Where the CPU multiplies bfloat16 natively, stage 2 runs under bfloat16 autocast: twice the steps in
   the same minutes, which is what took the fixture past 90 %.
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from llava_fixture_data import CLS_MULTI_HOT, CLS_TARGET_SIZE, EOS, PAD, PATCH_CLASSES, SceneSet, Tokenizer, build_vocab, synthesize  # noqa: E402
from llava_fixture_model import TextConfig, TinyLlava, VisionConfig  # noqa: E402

CLIP_MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
CLIP_STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
PRUNE_PROBABILITY = 0.5
MAX_ANSWER_TOKENS = 4


def normalize(images_uint8: np.ndarray) -> torch.Tensor:
    return (torch.from_numpy(images_uint8).float() / 255.0 - CLIP_MEAN) / CLIP_STD


def cls_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (F.binary_cross_entropy_with_logits(logits[:, :CLS_MULTI_HOT], target[:, :CLS_MULTI_HOT])
            + F.cross_entropy(logits[:, CLS_MULTI_HOT:], target[:, CLS_MULTI_HOT:].argmax(-1)))


def keep_objects_and_some_background(features: torch.Tensor, on_object: torch.Tensor, k: int) -> torch.Tensor:
    """k image tokens per image, in their original order: every token an object covers, then random
    background tokens. k must be at least the largest object-token count in the batch."""
    priority = torch.rand(on_object.shape) + 2.0 * on_object
    return keep_indices(features, priority.argsort(-1, descending=True)[:, :k])


def keep_indices(features: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    return features.gather(1, idx.sort(-1).values.unsqueeze(-1).expand(-1, -1, features.shape[-1]))


def prefix_embeds(model: TinyLlava, tok: Tokenizer, image_tokens: torch.Tensor) -> torch.Tensor:
    """The embedded prompt up to the end of the image: 'user :' + image tokens."""
    head = model.language_model.embed_tokens(torch.tensor(tok.encode('USER:')))
    return torch.cat([head.expand(image_tokens.shape[0], -1, -1), image_tokens], 1)


def run_prefix(model: TinyLlava, tok: Tokenizer, image_tokens: torch.Tensor):
    """The prefix through the LM: returns the KV cache and the prefix length."""
    lm = model.language_model
    x = prefix_embeds(model, tok, image_tokens)
    b, p, _ = x.shape
    _, present = lm(x, torch.ones(b, p, dtype=torch.long), torch.arange(p).expand(b, p))
    return present, p


def vision_step(model, batch_images, batch_cls, batch_patches):
    """Stage 1 loss: the [CLS] summaries and the per-patch labels. Returns the loss, the two parts and the
    per-head patch accuracy on object patches (background is most patches, so plain accuracy says little)."""
    _, (cls_logits, patch_logits), _ = model.encode_vision(normalize(batch_images))
    target = torch.from_numpy(batch_cls)
    aux = sum(cls_loss(c, target) for c in cls_logits) / len(cls_logits)
    labels = torch.from_numpy(batch_patches)
    on_object = labels[..., 0] > 0
    # Shape is learnt on object patches only: on the background its label is free, and the background
    # patches (most of them) would otherwise drown the little signal a from-scratch ViT gets for it early on.
    targets = [labels[..., 0], labels[..., 1].masked_fill(~on_object, -100), labels[..., 2], labels[..., 3]]
    dense = sum(F.cross_entropy(lg.reshape(-1, lg.shape[-1]), t.reshape(-1), ignore_index=-100) for lg, t in zip(patch_logits, targets))
    accuracy = [float((lg.argmax(-1) == labels[..., j])[on_object].float().mean()) for j, lg in enumerate(patch_logits)]
    return aux + dense, aux.item(), dense.item(), accuracy


def language_step(model, tok, patches, on_object, batch_questions):
    """Stage 2 loss: answer tokens and </s> after each question, given the frozen tower's patch tokens and
    which of them an object covers. One sequence per image: the prefix ('USER:' + image tokens), then every
    question with its answer. A block mask lets each question see the prefix and itself only, and its
    positions continue from the prefix, so each question is trained exactly as it is asked at inference;
    the prefix is computed once per image and its keys are never copied per question."""
    feats = model.multi_modal_projector(patches)
    if np.random.rand() < PRUNE_PROBABILITY:
        fewest = max(int(on_object.sum(-1).max()), feats.shape[1] // 16)
        if fewest < feats.shape[1]:
            feats = keep_objects_and_some_background(feats, on_object, np.random.randint(fewest, feats.shape[1]))
    lm = model.language_model
    prefix = prefix_embeds(model, tok, feats)
    b, p, _ = prefix.shape
    # Per image: token ids, labels, positions and segment (1, 2, ... per question; 0 marks the prefix).
    packed = []
    for qs in batch_questions:
        ids, labels, positions, segments = [], [], [], []
        for j, qa in enumerate(qs):
            prompt = tok.prompt_suffix(qa['question'])
            row = prompt + tok.encode(qa['answer']) + [tok.id(EOS)]
            # Logit at position t predicts token t+1: supervise the answer tokens and </s>.
            labels += [-100] * (len(prompt) - 1) + row[len(prompt):] + [-100]
            ids += row
            positions += range(p, p + len(row))
            segments += [j + 1] * len(row)
        packed.append((ids, labels, positions, segments))
    s = max(len(ids) for ids, *_ in packed)
    ids = torch.full((b, s), tok.id(PAD), dtype=torch.long)
    labels = torch.full((b, s), -100, dtype=torch.long)
    positions = torch.zeros(b, p + s, dtype=torch.long)
    segments = torch.full((b, p + s), -1, dtype=torch.long)  # -1: padding
    positions[:, :p] = torch.arange(p)
    segments[:, :p] = 0
    for i, (row_ids, row_labels, row_positions, row_segments) in enumerate(packed):
        ids[i, :len(row_ids)] = torch.tensor(row_ids)
        labels[i, :len(row_labels)] = torch.tensor(row_labels)
        positions[i, p:p + len(row_positions)] = torch.tensor(row_positions)
        segments[i, p:p + len(row_segments)] = torch.tensor(row_segments)
    x = torch.cat([prefix, lm.embed_tokens(ids)], 1)
    order = torch.arange(p + s)
    causal = order[None, :] <= order[:, None]
    same = (segments[:, None, :] == 0) | (segments[:, None, :] == segments[:, :, None])
    logits, _ = lm(x, torch.ones(b, p + s, dtype=torch.long), positions, visible=causal & same)
    logits = logits[:, p:]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


@torch.no_grad()
def tower_patches(model: TinyLlava, images: np.ndarray, batch: int = 64) -> torch.Tensor:
    """The frozen tower's penultimate patch tokens for every image, kept in fp16 to halve the memory."""
    return torch.cat([model.encode_vision(normalize(images[i:i + batch]))[0].half()
                      for i in range(0, len(images), batch)])


@torch.no_grad()
def answer(model, tok, present, p, question: str) -> str:
    """Greedy decoding with the KV cache after a computed image prefix."""
    lm = model.language_model
    ids = tok.prompt_suffix(question)
    past, pos, out = present, p, []
    for _ in range(MAX_ANSWER_TOKENS + 1):
        x = lm.embed_tokens(torch.tensor([ids]))
        n = x.shape[1]
        logits, past = lm(x, torch.ones(1, pos + n, dtype=torch.long), torch.arange(pos, pos + n).unsqueeze(0), past)
        pos += n
        nxt = int(logits[0, -1].argmax())
        if nxt == tok.id(EOS):
            break
        out.append(nxt)
        ids = [nxt]
    return tok.decode(out)


def cls_scores(attentions: list, first_layer: int) -> torch.Tensor:
    """VTC-CLS: the [CLS] row, head-averaged, [CLS] column dropped, summed over layers first_layer..penultimate
    (0-based, inclusive)."""
    return sum(a[:, :, 0, 1:].mean(1) for a in attentions[first_layer:len(attentions) - 1])


@torch.no_grad()
def evaluate(model, tok, data: SceneSet, keep_fractions=(0.25, 0.11), log=print) -> dict:
    """Exact-match accuracy per question type with all image tokens, with the VTC-CLS top-k and with a
    random k (the kept tokens in original order, contiguous positions), plus how much [CLS] attention
    falls on object patches."""
    model.eval()
    gen = torch.Generator().manual_seed(0)
    vc = model.vision_tower.cfg
    grid = vc.image_size // vc.patch_size
    results = {}
    on_objects = []
    for i in range(len(data)):
        feats, _, attentions = model.encode(normalize(data.images[i:i + 1]))
        n = feats.shape[1]
        scores = cls_scores(attentions, first_layer=1)[0]
        mask = object_patch_mask(data.object_boxes[i], grid, vc.patch_size)
        on_objects.append((float(scores[mask].sum() / scores.sum()), float(mask.float().mean())))
        variants = {'full': feats}
        for f in keep_fractions:
            k = max(1, round(f * n))
            variants[f'cls@{f:.2f}'] = keep_indices(feats, scores.topk(k).indices.unsqueeze(0))
            variants[f'random@{f:.2f}'] = keep_indices(feats, torch.randperm(n, generator=gen)[:k].unsqueeze(0))
        for name, kept in variants.items():
            present, p = run_prefix(model, tok, kept)
            for qa in data.questions[i]:
                ok = answer(model, tok, present, p, qa['question']) == qa['answer']
                results.setdefault(name, {}).setdefault(qa['type'], []).append(ok)
    model.train()
    summary = {name: {t: sum(v) / len(v) for t, v in sorted(per.items())} for name, per in results.items()}
    for name, per in results.items():
        everything = [x for v in per.values() for x in v]
        summary[name]['all'] = sum(everything) / len(everything)
    cls_share = float(np.mean([a for a, _ in on_objects]))
    area = float(np.mean([b for _, b in on_objects]))
    summary['cls_attention_on_objects'] = {'share': cls_share, 'object_area': area}
    for name in results:
        log(f'  {name:12s} ' + ' '.join(f'{t}={v:.3f}' for t, v in summary[name].items()))
    log(f'  [CLS] attention on object patches: {cls_share:.3f} (objects cover {area:.3f} of patches)')
    return summary


def object_patch_mask(boxes, grid: int, patch: int) -> torch.Tensor:
    """Patches (raster order) that a scene object's bounding box overlaps."""
    mask = torch.zeros(grid, grid, dtype=torch.bool)
    for x, y, size in boxes:
        h = size / 2
        c0, c1 = int((x - h) // patch), int(min(grid * patch - 1, x + h) // patch)
        r0, r1 = int((y - h) // patch), int(min(grid * patch - 1, y + h) // patch)
        mask[max(0, r0):r1 + 1, max(0, c0):c1 + 1] = True
    return mask.flatten()


def cpu_has_bf16() -> bool:
    """Whether the CPU has bfloat16 dot-product instructions: autocast only pays where it has them (on this
    project's AMD EPYC, 0.45 against 0.94 s a stage-2 step)."""
    try:
        with open('/proc/cpuinfo') as f:
            flags = f.read()
    except OSError:
        return False
    return 'avx512_bf16' in flags or 'amx_bf16' in flags


def lr_at(progress: float, peak: float, warmup: float = 0.03) -> float:
    if progress < warmup:
        return peak * progress / warmup
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, (progress - warmup) / (1 - warmup)))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--work', default='/tmp/vtc-tiny-llava', help='scene cache and checkpoints')
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'tiny-llava'))
    ap.add_argument('--train-scenes', type=int, default=30000, help='stage 1 scenes (images and ground truth)')
    ap.add_argument('--qa-scenes', type=int, default=20000, help='stage 2 scenes, each with --qa-questions questions')
    ap.add_argument('--qa-questions', type=int, default=15)
    ap.add_argument('--eval-scenes', type=int, default=500)
    ap.add_argument('--vision-minutes', type=float, default=20.0, help='stage 1 wall-clock budget')
    ap.add_argument('--language-minutes', type=float, default=35.0, help='stage 2 wall-clock budget')
    ap.add_argument('--vision-batch', type=int, default=64, help='images per stage 1 step')
    ap.add_argument('--batch', type=int, default=16,
                    help='images per stage 2 step (each with all its questions); 16 learns faster per minute than 32')
    ap.add_argument('--vision-lr', type=float, default=2e-3, help='stage 1 peak learning rate')
    ap.add_argument('--language-lr', type=float, default=1e-3,
                    help='stage 2 peak learning rate (in 8-minute trials 1e-3 beat 2e-3, and 2e-3 beat 4e-3)')
    ap.add_argument('--bf16', action=argparse.BooleanOptionalAction, default=cpu_has_bf16(),
                    help='stage 2 under bfloat16 autocast: on a CPU with bfloat16 dot products about 2x the '
                         'steps in the same minutes (default: on where /proc/cpuinfo lists avx512_bf16 or amx_bf16)')
    ap.add_argument('--language-layers', type=int, default=TextConfig.num_hidden_layers, help='decoder layers')
    ap.add_argument('--resume', action='store_true', help='continue from the checkpoint in --work')
    ap.add_argument('--restart-language', action='store_true',
                    help='with --resume: keep the trained tower, start the projector and LLM (stage 2) afresh')
    ap.add_argument('--skip-train', action='store_true', help='evaluate and export the checkpoint only')
    ap.add_argument('--tiny', action='store_true', help='2-minute end-to-end check of the pipeline')
    args = ap.parse_args()
    if args.tiny:
        args.train_scenes, args.qa_scenes, args.eval_scenes, args.vision_minutes, args.language_minutes = 600, 300, 20, 0.5, 0.5
    torch.set_num_threads(2)
    torch.set_flush_denormal(True)
    torch.manual_seed(1)
    np.random.seed(1)
    os.makedirs(args.work, exist_ok=True)
    log_file = open(os.path.join(args.work, 'train.log'), 'a')

    def log(msg):
        print(msg, flush=True)
        log_file.write(msg + '\n')
        log_file.flush()

    vision = VisionConfig()
    train_dir, qa_dir, eval_dir = (os.path.join(args.work, name) for name in ('train', 'qa', 'eval'))
    # Every set has its own seed: the evaluation is on fresh scenes. Stage 1 reads only the images and their
    # ground truth; stage 2 gets many questions per scene, as one image prefix serves all of them.
    synthesize(train_dir, args.train_scenes, seed=1, size=vision.image_size, questions=5)
    synthesize(qa_dir, args.qa_scenes, seed=3, size=vision.image_size, questions=args.qa_questions)
    synthesize(eval_dir, args.eval_scenes, seed=2, size=vision.image_size, questions=5)
    t0 = time.time()
    train, qa, test = (SceneSet(d, vision.patch_size) for d in (train_dir, qa_dir, eval_dir))
    log(f'loaded {len(train)} + {len(qa)} training and {len(test)} evaluation scenes in {time.time() - t0:.1f} s')
    tok = Tokenizer(build_vocab([train, qa, test]))
    peak_lr = {'vision': args.vision_lr, 'language': args.language_lr}
    adamw = lambda params: torch.optim.AdamW(params, weight_decay=0.01)
    model = TinyLlava(vision, TextConfig(vocab_size=len(tok.vocab), num_hidden_layers=args.language_layers), CLS_TARGET_SIZE, PATCH_CLASSES)
    log(f'vocabulary {len(tok.vocab)} words; parameters {sum(p.numel() for p in model.parameters()):,}')
    vision_params = [p for m in (model.vision_tower, model.cls_heads, model.patch_heads) for p in m.parameters()]
    language_params = [p for m in (model.multi_modal_projector, model.language_model) for p in m.parameters()]
    opts = {'vision': adamw(vision_params), 'language': adamw(language_params)}
    ckpt_path = os.path.join(args.work, 'checkpoint.pt')
    done = {'vision': 0.0, 'language': 0.0}
    steps = {'vision': 0, 'language': 0}
    if args.resume or args.skip_train:
        ckpt = torch.load(ckpt_path)
        assert ckpt['vocab'] == tok.vocab, 'checkpoint vocabulary differs from the data'
        if args.restart_language:
            # The trained tower and its heads only: the projector and the LLM keep the initial weights built
            # above (a fresh run's: same seed, same construction order), whatever their shape in the checkpoint.
            language = ('multi_modal_projector.', 'language_model.')
            missing, unexpected = model.load_state_dict(
                {k: v for k, v in ckpt['model'].items() if not k.startswith(language)}, strict=False)
            assert not unexpected and all(k.startswith(language) for k in missing), (missing, unexpected)
            opts['vision'].load_state_dict(ckpt['opts']['vision'])
            done, steps = {**ckpt['seconds'], 'language': 0.0}, {**ckpt['steps'], 'language': 0}
        else:
            model.load_state_dict(ckpt['model'])
            for name, opt in opts.items():
                opt.load_state_dict(ckpt['opts'][name])
            done, steps = ckpt['seconds'], ckpt['steps']
        log(f'resumed after {done["vision"] / 60:.1f} + {done["language"] / 60:.1f} min ({steps})')

    def save():
        torch.save({'model': model.state_dict(), 'opts': {n: o.state_dict() for n, o in opts.items()},
                    'vocab': tok.vocab, 'seconds': done, 'steps': steps}, ckpt_path)

    def run_stage(name: str, minutes: float, step_fn):
        """Steps until the stage has spent `minutes` of compute (resumable); the learning-rate schedule
        follows the fraction of the budget spent."""
        opt, budget = opts[name], minutes * 60
        last_save = last_log = time.time()
        window = []
        while done[name] < budget:
            started = time.time()
            for g in opt.param_groups:
                g['lr'] = lr_at(done[name] / budget, peak_lr[name])
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
                    + '  '.join(f'{k} {np.round(v, 3)}' for k, v in avg.items()) + f'  lr {opt.param_groups[0]["lr"]:.2e}')
                window, last_log = [], time.time()
            if time.time() - last_save > 300:
                save()
                last_save = time.time()
        save()
        log(f'{name}: {steps[name]} steps in {done[name] / 60:.1f} min of compute')

    def vision_batch():
        idx = np.random.randint(0, len(train), args.vision_batch)
        loss, aux, dense, accuracy = vision_step(model, train.images[idx], train.cls_targets[idx], train.patch_targets[idx])
        return loss, {'cls': aux, 'patch': dense, 'object-patch acc (colour shape centre quadrant)': accuracy}

    if not args.skip_train:
        run_stage('vision', args.vision_minutes, vision_batch)
        model.vision_tower.requires_grad_(False)
        t0 = time.time()
        del train  # stage 1's images are done with; stage 2 holds the qa set's patch tokens instead
        cached = tower_patches(model, qa.images)
        log(f'frozen tower: patch tokens of {len(qa)} scenes computed in {time.time() - t0:.0f} s; '
            f'stage 2 in {"bfloat16 autocast" if args.bf16 else "float32"}')

        def language_batch():
            idx = np.random.randint(0, len(qa), args.batch)
            on_object = torch.from_numpy(qa.patch_targets[idx][..., 0] > 0)
            # The backward pass follows the forward's dtypes; the weights and Adam's state stay float32.
            with torch.autocast('cpu', dtype=torch.bfloat16, enabled=args.bf16):
                loss = language_step(model, tok, cached[idx].float(), on_object, [qa.questions[i] for i in idx])
            return loss, {'lm': loss.item()}

        run_stage('language', args.language_minutes, language_batch)
    t0 = time.time()
    log(f'evaluation on {len(test)} fresh scenes ({sum(len(q) for q in test.questions)} questions):')
    summary = evaluate(model, tok, test, log=log)
    log(f'evaluated in {time.time() - t0:.0f} s')
    from llava_fixture_export import export_fixture
    export_fixture(model, tok, os.path.abspath(args.out), {
        'steps': steps, 'train_minutes': {k: round(v / 60, 1) for k, v in done.items()},
        'train_scenes': args.train_scenes, 'qa_scenes': len(qa), 'qa_questions': args.qa_questions,
        'eval_scenes': len(test), 'accuracy': summary,
    })
    log(f'exported to {os.path.abspath(args.out)}')


if __name__ == '__main__':
    main()
