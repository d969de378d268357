"""Data for the tiny LLaVA fixture: scenes come from the project's one generator (`vtc synth`), the
word-level vocabulary is built from its questions and answers, and tokenisation mirrors tokenizer.json
(lowercase, then HF's Whitespace pre-tokenizer regex)."""
import json
import os
import re
import subprocess

import numpy as np
from PIL import Image

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

PAD, UNK, EOS, IMAGE = '<pad>', '<unk>', '</s>', '<image>'
SPECIAL_TOKENS = [PAD, UNK, EOS, IMAGE]
# Words of the chat template around the question: "USER: <image>\n{question} ASSISTANT:"
TEMPLATE_WORDS = ['user', ':', 'assistant']
COLORS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange']
SHAPES = ['circle', 'square', 'triangle', 'cross']
MAX_OBJECTS = 8

WORD_RE = re.compile(r'\w+|[^\w\s]+')


def words(text: str) -> list:
    return WORD_RE.findall(text.lower())


def synthesize(out_dir: str, count: int, seed: int, size: int, questions: int, grid: int = None) -> None:
    """Runs `vtc synth` unless out_dir already holds this exact set (grid: large scenes of grid x grid crops)."""
    stamp = os.path.join(out_dir, 'synth-args.json')
    want = {'count': count, 'seed': seed, 'size': size, 'questions': questions, **({'grid': grid} if grid else {})}
    if os.path.exists(stamp) and json.load(open(stamp)) == want:
        return
    cmd = ['npx', 'tsx', 'src-main/cli/main.ts', 'synth', '--out', out_dir, '--count', str(count),
           '--seed', str(seed), '--size', str(size), '--questions', str(questions)] + (['--grid', str(grid)] if grid else [])
    print('$', ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    json.dump(want, open(stamp, 'w'))


class SceneSet:
    """Images as uint8 [n, 3, h, w], questions grouped per image, and the [CLS] targets per image."""

    def __init__(self, out_dir: str, patch_size: int):
        scenes = [json.loads(line) for line in open(os.path.join(out_dir, 'scenes.jsonl'))]
        index = {s['image']: i for i, s in enumerate(scenes)}
        self.questions = [[] for _ in scenes]
        for line in open(os.path.join(out_dir, 'data.jsonl')):
            qa = json.loads(line)
            self.questions[index[qa['image']]].append(qa)
        self.images = np.stack([
            np.asarray(Image.open(os.path.join(out_dir, s['image'])).convert('RGB')).transpose(2, 0, 1)
            for s in scenes
        ])
        self.image_paths = [os.path.join(out_dir, s['image']) for s in scenes]
        self.cls_targets = np.stack([cls_target(s['objects']) for s in scenes])
        self.patch_targets = np.stack([patch_targets(s['objects'], s['size'], patch_size) for s in scenes])
        self.object_boxes = [[(o['x'], o['y'], o['size']) for o in s['objects']] for s in scenes]
        self.objects = [s['objects'] for s in scenes]

    def __len__(self):
        return len(self.images)


# [CLS] target: multi-hot of the colours, the shapes and the (colour, shape) objects present, then the
# one-hot object count (1..8). Naming every object present makes [CLS] attend to each of them.
CLS_MULTI_HOT = len(COLORS) + len(SHAPES) + len(COLORS) * len(SHAPES)
CLS_TARGET_SIZE = CLS_MULTI_HOT + MAX_OBJECTS


def cls_target(objects: list) -> np.ndarray:
    t = np.zeros(CLS_TARGET_SIZE, dtype=np.float32)
    for o in objects:
        c, s = COLORS.index(o['color']), SHAPES.index(o['shape'])
        t[c] = 1
        t[len(COLORS) + s] = 1
        t[len(COLORS) + len(SHAPES) + c * len(SHAPES) + s] = 1
    t[CLS_MULTI_HOT + len(objects) - 1] = 1
    return t


# Per patch: colour (0 = background, 1..6), shape (0 = background, 1..4), whether an object's centre lies in
# it, and the image quadrant of the patch (so that a token kept alone still says where it came from).
PATCH_CLASSES = (len(COLORS) + 1, len(SHAPES) + 1, 2, 4)


def patch_targets(objects: list, image_size: int, patch: int) -> np.ndarray:
    """[patches, 4] int64 labels in raster order. A patch belongs to the object whose bounding box covers the
    most of it, if that is a fair share of the patch or most of the (small) object."""
    grid = image_size // patch
    out = np.zeros((grid * grid, 4), dtype=np.int64)
    rows, cols = np.divmod(np.arange(grid * grid), grid)
    out[:, 3] = 2 * (rows >= grid / 2) + (cols >= grid / 2)
    best = np.zeros(grid * grid)
    for o in objects:
        h = o['size'] / 2
        x0, x1, y0, y1 = o['x'] - h, o['x'] + h, o['y'] - h, o['y'] + h
        for r in range(max(0, int(y0 // patch)), min(grid, int(y1 // patch) + 1)):
            for c in range(max(0, int(x0 // patch)), min(grid, int(x1 // patch) + 1)):
                overlap = max(0, min(x1, (c + 1) * patch) - max(x0, c * patch)) * max(0, min(y1, (r + 1) * patch) - max(y0, r * patch))
                i = r * grid + c
                if overlap > best[i] and (overlap >= 0.2 * patch * patch or overlap >= 0.4 * o['size'] ** 2):
                    best[i] = overlap
                    out[i, 0] = COLORS.index(o['color']) + 1
                    out[i, 1] = SHAPES.index(o['shape']) + 1
        out[min(grid - 1, int(o['y'] // patch)) * grid + min(grid - 1, int(o['x'] // patch)), 2] = 1
    return out


def build_vocab(sets: list) -> list:
    found = set()
    for ss in sets:
        for qs in ss.questions:
            for qa in qs:
                found.update(words(qa['question']))
                found.update(words(qa['answer']))
    found.update(COLORS + SHAPES)
    return SPECIAL_TOKENS + TEMPLATE_WORDS + sorted(found - set(TEMPLATE_WORDS))


class Tokenizer:
    def __init__(self, vocab: list):
        self.vocab = vocab
        self.ids = {w: i for i, w in enumerate(vocab)}

    def encode(self, text: str) -> list:
        return [self.ids.get(w, self.ids[UNK]) for w in words(text)]

    def id(self, token: str) -> int:
        return self.ids[token]

    def decode(self, ids: list) -> str:
        return ' '.join(self.vocab[i] for i in ids if self.vocab[i] not in SPECIAL_TOKENS)

    def prompt_suffix(self, question: str) -> list:
        """Token ids after the image: the question, then the generation prompt."""
        return self.encode(question) + self.encode('ASSISTANT:')
