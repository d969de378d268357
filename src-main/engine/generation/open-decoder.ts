// The decoder session generation runs: the model's own graph with its logits cut to the last position (see
// surgery/last-token-logits.ts), or the graph as it is when that cannot be derived; both give the same tokens.
import type { InferenceSession } from 'onnxruntime-node';
import { isEngineError } from '../errors';
import { openSession, sessionOptions, type SessionSettings } from '../model/sessions';
import { createInstrumentedSession } from '../surgery/instrumented-session';
import { lastTokenLogitsDecoder } from '../surgery/last-token-logits';

export async function openDecoder(path: string, settings: SessionSettings, graphCacheDir: string): Promise<InferenceSession> {
  let derived;
  try {
    derived = await lastTokenLogitsDecoder({ onnxPath: path, cacheDir: graphCacheDir });
  } catch (e) {
    // An export whose head this cannot find, a file it cannot parse or a cache it cannot write: onnxruntime opens
    // the file as it is, and says what is wrong with it if anything is.
    if (!isEngineError(e)) throw e;
    return openSession(path, settings);
  }
  return openSession(path, settings, () => createInstrumentedSession(derived, sessionOptions(settings)));
}
