import { describe, expect, it } from 'vitest';
import { answersAgree, gradeAnswers, isCorrectAnswer, normalizeAnswer } from './answer-match';

describe('normalizeAnswer', () => {
  it('lowercases, strips punctuation and collapses spaces', () => {
    expect(normalizeAnswer('  Red.')).toBe('red');
    expect(normalizeAnswer('Top-Left!')).toBe('top left');
    expect(normalizeAnswer('bottom \t\n right')).toBe('bottom right');
    expect(normalizeAnswer('"yes",')).toBe('yes');
  });
});

describe('isCorrectAnswer', () => {
  it('matches after normalising both sides', () => {
    expect(isCorrectAnswer(' Top left. ', 'top left')).toBe(true);
    expect(isCorrectAnswer('THREE', 'three')).toBe(true);
  });

  it('rejects near misses and extra words', () => {
    expect(isCorrectAnswer('3', 'three')).toBe(false);
    expect(isCorrectAnswer('a red one', 'red')).toBe(false);
    expect(isCorrectAnswer('top', 'top left')).toBe(false);
  });

  it('never counts an empty answer as correct, even against an empty expectation', () => {
    expect(isCorrectAnswer('', '')).toBe(false);
    expect(isCorrectAnswer('...', '!')).toBe(false);
  });
});

describe('answersAgree', () => {
  it('ignores case, spacing and punctuation but not words', () => {
    expect(answersAgree(' A red Cup. ', 'a red cup')).toBe(true);
    expect(answersAgree('Two dogs', 'two  dogs!')).toBe(true);
    expect(answersAgree('a red cup', 'a blue cup')).toBe(false);
  });
});

describe('gradeAnswers', () => {
  it('marks each side against the true answer', () => {
    expect(gradeAnswers('two', 'Two.', 'one')).toEqual({ expected: 'two', full: true, pruned: false });
  });
});
