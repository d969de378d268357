// When an answer counts as correct (`vtc eval`, and the demo album's correct/wrong in the app and batch), and
// when two answers agree. The synthetic sets have one short answer per question ("red", "top left", "three"), so matching is exact after normalising away what a generated answer may add around the words:
// case, surrounding spaces, punctuation (a trailing period, "top-left") and runs of whitespace. Nothing looser:
// "3" does not match "three" and "a red one" does not match "red", so accuracy never rewards a near miss.
import type { Grade } from './api';

/** Lowercase, punctuation → space, whitespace collapsed, trimmed. */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function isCorrectAnswer(predicted: string, expected: string): boolean {
  const want = normalizeAnswer(expected);
  return want !== '' && normalizeAnswer(predicted) === want;
}

/** Full and pruned say the same, up to case, spacing and punctuation. */
export function answersAgree(a: string, b: string): boolean {
  return normalizeAnswer(a) === normalizeAnswer(b);
}

/** Both sides against the true answer. */
export function gradeAnswers(expected: string, full: string, pruned: string): Grade {
  return { expected, full: isCorrectAnswer(full, expected), pruned: isCorrectAnswer(pruned, expected) };
}
