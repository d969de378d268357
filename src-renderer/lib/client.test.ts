import { describe, expect, it } from 'vitest';
import { APP_API, type AppApiMethod } from '../../src-shared/api';
import { ApiError, apiOver, bridgeError, pageToken, unwrapBridgeReply, unwrapReply } from './client';

class MemoryStorage {
  private items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('unwrapReply', () => {
  it('returns the value of a successful reply', () => {
    expect(unwrapReply(200, { ok: true, value: [1, 2] })).toEqual([1, 2]);
    expect(unwrapReply(200, { ok: true })).toBeUndefined();
  });

  it('throws the app error with its code and message', () => {
    const reply = { ok: false, error: { code: 'NOT_AN_IMAGE', message: 'notes.txt is not an image.' } };
    expect(() => unwrapReply(400, reply)).toThrow(new ApiError('NOT_AN_IMAGE', 'notes.txt is not an image.'));
    try {
      unwrapReply(400, reply);
    } catch (e) {
      expect((e as ApiError).code).toBe('NOT_AN_IMAGE');
    }
  });

  it('explains a missing token and an unexpected body', () => {
    expect(() => unwrapReply(401, undefined)).toThrow(/not authorised/);
    expect(() => unwrapReply(502, '<html>')).toThrow(/unexpected reply \(HTTP 502\)/);
  });
});

describe('bridge replies', () => {
  it('strips the Electron IPC prefix from error messages', () => {
    const e = bridgeError(new Error("Error invoking remote method 'ask': Error: The photo is gone."));
    expect(e.message).toBe('The photo is gone.');
    expect(e.code).toBe('ERROR');
  });

  it('unwraps an envelope and passes plain values through', () => {
    expect(unwrapBridgeReply({ ok: true, value: 3 })).toBe(3);
    expect(unwrapBridgeReply([{ id: 'a' }])).toEqual([{ id: 'a' }]);
    expect(() => unwrapBridgeReply({ ok: false, error: { code: 'CANCELLED', message: 'Stopped.' } })).toThrow('Stopped.');
  });
});

describe('pageToken', () => {
  it('takes the token from the URL and remembers it for reloads without it', () => {
    const storage = new MemoryStorage();
    expect(pageToken('?token=abc123', storage)).toBe('abc123');
    expect(pageToken('', storage)).toBe('abc123');
    expect(pageToken('?token=new', storage)).toBe('new');
  });

  it('is empty when neither the URL nor the session has one', () => {
    expect(pageToken('?x=1', new MemoryStorage())).toBe('');
  });
});

describe('apiOver', () => {
  it('routes every AppApi method by name with its argument, defaulting to an empty object', async () => {
    const calls: Array<[AppApiMethod, unknown]> = [];
    const api = apiOver(async (method, arg) => {
      calls.push([method, arg]);
      return method;
    });
    expect(await api.removePhoto({ photoId: 'p1' })).toBe('removePhoto');
    expect(await api.machineInfo()).toBe('machineInfo');
    expect(calls).toEqual([
      ['removePhoto', { photoId: 'p1' }],
      ['machineInfo', {}],
    ]);
    // The client has exactly the table's methods, each routed under its own name.
    expect(Object.keys(api).sort()).toEqual(Object.keys(APP_API).sort());
    for (const method of Object.keys(api) as AppApiMethod[]) expect(await (api[method] as () => Promise<unknown>)()).toBe(method);
  });
});
