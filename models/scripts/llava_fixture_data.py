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


def synthesize(out_dir: str, count: int, seed: int, size: int, questions: int) -> None:
    """Runs `vtc synth` unless out_dir already holds this exact set."""
    stamp = os.path.join(out_dir, 'synth-args.json')
    want = {'count': count, 'seed': seed, 'size': size, 'questions': questions}
    if os.path.exists(stamp) and json.load(open(stamp)) == want:
        return
    cmd = ['npx', 'tsx', 'src-main/cli/main.ts', 'synth', '--out', out_dir, '--count', str(count),
           '--seed', str(seed), '--size', str(size), '--questions', str(questions)]
    print('$', ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    json.dump(want, open(stamp, 'w'))


class SceneSet:
    """Images as uint8 [n, 3, h, w], questions grouped per image, and the [CLS] targets per image."""

    def __init__(self, out_dir: str):
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
        self.object_boxes = [[(o['x'], o['y'], o['size']) for o in s['objects']] for s in scenes]

    def __len__(self):
        return len(self.images)


def cls_target(objects: list) -> np.ndarray:
    """Multi-hot of the colours and shapes present, then the one-hot object count (1..8)."""
    t = np.zeros(len(COLORS) + len(SHAPES) + MAX_OBJECTS, dtype=np.float32)
    for o in objects:
        t[COLORS.index(o['color'])] = 1
        t[len(COLORS) + SHAPES.index(o['shape'])] = 1
    t[len(COLORS) + len(SHAPES) + len(objects) - 1] = 1
    return t


CLS_TARGET_SIZE = len(COLORS) + len(SHAPES) + MAX_OBJECTS


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
