import { describe, expect, it } from 'vitest';
import { formatTable } from './table';

describe('formatTable', () => {
  it('pads the first column left and the others right', () => {
    expect(
      formatTable(
        ['a', 'bb'],
        [
          ['xyz', '1'],
          ['q', '22'],
        ],
      ),
    ).toBe('a    bb\n---  --\nxyz   1\nq    22');
  });
});
