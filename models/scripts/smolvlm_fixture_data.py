"""Data for the trained SmolVLM-layout fixture: large `vtc synth --grid` scenes cut into crops and a global
view exactly as the Idefics3 processor cuts them, per-patch labels for every tile, and the word-level
vocabulary with Idefics3's special tokens, tokenised as its tokenizer.json does."""
import numpy as np
import torch
import torch.nn.functional as F

from llava_fixture_data import COLORS, SHAPES, Tokenizer, patch_targets, words

PAD, UNK, EOU, IMAGE = '<pad>', '<unk>', '<end_of_utterance>', '<image>'
FAKE, GLOBAL, IM_START = '<fake_token_around_image>', '<global-img>', '<|im_start|>'
TEMPLATE_WORDS = ['user', ':', 'assistant']


def row_col_token(row: int, col: int) -> str:
    """1-based, as Idefics3 spells a crop."""
    return f'<row_{row}_col_{col}>'


def special_tokens(grid: int) -> list:
    return [PAD, UNK, EOU, IMAGE, FAKE, GLOBAL, IM_START] + [
        row_col_token(r, c) for r in range(1, grid + 1) for c in range(1, grid + 1)]


def build_vocab(question_sets: list, grid: int) -> list:
    found = set(COLORS + SHAPES)
    for questions in question_sets:
        for qs in questions:
            for qa in qs:
                found.update(words(qa['question']) + words(qa['answer']))
    return special_tokens(grid) + TEMPLATE_WORDS + sorted(found - set(TEMPLATE_WORDS))


class PromptTokens:
    """Token ids of the rendered chat template, '<|im_start|>User:<image>{question}<end_of_utterance>\\n
    Assistant:', around the expanded image (the tokenizer drops newlines as whitespace)."""

    def __init__(self, tok: Tokenizer):
        self.tok = tok
        self.head = [tok.id(IM_START)] + tok.encode('User:')
        self.fake, self.global_img, self.eou = tok.id(FAKE), tok.id(GLOBAL), tok.id(EOU)

    def crop(self, row: int, col: int) -> list:
        return [self.fake, self.tok.id(row_col_token(row + 1, col + 1))]

    def question(self, text: str) -> list:
        return self.tok.encode(text) + [self.eou] + self.tok.encode('Assistant:')

    def answer(self, text: str) -> list:
        return self.tok.encode(text) + [self.eou]


def tiles_of(images_uint8: np.ndarray, grid: int) -> torch.Tensor:
    """[n, 3, S, S] uint8 scenes -> [n, grid*grid + 1, 3, S/grid, S/grid] float tiles, normalised (mean = std =
    0.5), crops row-major then the global view. The scene side is the processor's longest edge and a multiple
    of the tile, so the processor's resizes keep every crop's pixels, and its global view is the half-pixel
    bilinear resize (no antialiasing) that F.interpolate computes."""
    x = torch.from_numpy(images_uint8).float() / 127.5 - 1.0
    n, _, side, _ = x.shape
    t = side // grid
    crops = x.reshape(n, 3, grid, t, grid, t).permute(0, 2, 4, 1, 3, 5).reshape(n, grid * grid, 3, t, t)
    whole = F.interpolate(x, size=(t, t), mode='bilinear', align_corners=False)
    return torch.cat([crops, whole[:, None]], 1)


def tile_targets(objects: list, side: int, grid: int, patch: int) -> np.ndarray:
    """[grid*grid + 1, patches, 4] uint8 labels per tile (colour, shape, object centre, quadrant of the tile),
    from llava_fixture_data.patch_targets on the objects moved into each tile's coordinates."""
    t = side // grid
    views = [(r * t, c * t, 1.0) for r in range(grid) for c in range(grid)] + [(0, 0, 1.0 / grid)]
    out = []
    for y0, x0, scale in views:
        moved = [{**o, 'x': (o['x'] - x0) * scale, 'y': (o['y'] - y0) * scale, 'size': o['size'] * scale}
                 for o in objects]
        seen = [o for o in moved if -o['size'] / 2 < o['x'] < t + o['size'] / 2 and -o['size'] / 2 < o['y'] < t + o['size'] / 2]
        labels = patch_targets(seen, t, patch)
        # patch_targets marks a centre even when it lies outside the tile (clamped to the edge): only centres inside count.
        labels[:, 2] = 0
        cells = t // patch
        for o in seen:
            if 0 <= o['x'] < t and 0 <= o['y'] < t:
                labels[int(o['y'] // patch) * cells + int(o['x'] // patch), 2] = 1
        out.append(labels)
    return np.stack(out).astype(np.uint8)


def token_on_object(targets: np.ndarray, patches_per_side: int, scale: int) -> np.ndarray:
    """[tiles, tokens] bool: which pixel-shuffled LLM tokens (scale x scale patches each, row-major) hold a
    patch of an object."""
    tiles = targets.shape[0]
    obj = (targets[..., 0] > 0).reshape(tiles, patches_per_side // scale, scale, patches_per_side // scale, scale)
    return obj.any(axis=(2, 4)).reshape(tiles, -1)
