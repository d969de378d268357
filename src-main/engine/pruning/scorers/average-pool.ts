// Average pooling ranks nothing: every token goes into a pooled one (see ../merge-pool.ts), so every score is 0.
import { tokenGridSize } from '../layout';
import type { Scorer } from '../types';

export const poolScorer: Scorer = {
  method: 'pool',
  needs: () => ({ kind: 'none', layers: [] }),
  score: ({ layout }) => new Float32Array(tokenGridSize(layout).totalTokens),
  selector: 'pool',
};
