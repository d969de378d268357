// The history a follow-up question carries, from a photo's chat entries.
import type { ChatEntry, ChatTurn } from '../../src-shared/api';

/** Earlier exchanges passed with a follow-up; older ones add prompt length without helping a small model. */
export const HISTORY_EXCHANGES = 3;

/** The photo's answered questions as user/assistant turns (the full answer is the assistant's), oldest first. */
export function historyTurns(entries: ChatEntry[], exchanges = HISTORY_EXCHANGES): ChatTurn[] {
  return entries
    .filter((e) => e.result !== undefined)
    .slice(-exchanges)
    .flatMap((e): ChatTurn[] => [
      { role: 'user', text: e.question },
      { role: 'assistant', text: e.result!.full.text },
    ]);
}
