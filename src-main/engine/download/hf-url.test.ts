import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors';
import { hfFileUrl, resolveHfBase } from './hf-url';

describe('resolveHfBase', () => {
  it('prefers the option, then VTC_HF_BASE, then HF_ENDPOINT, then huggingface.co', () => {
    const env = { VTC_HF_BASE: 'http://mirror.local/', HF_ENDPOINT: 'https://hf-endpoint.example' };
    expect(resolveHfBase('http://127.0.0.1:8080//', env)).toBe('http://127.0.0.1:8080');
    expect(resolveHfBase(undefined, env)).toBe('http://mirror.local');
    expect(resolveHfBase(undefined, { HF_ENDPOINT: env.HF_ENDPOINT })).toBe('https://hf-endpoint.example');
    expect(resolveHfBase(undefined, {})).toBe('https://huggingface.co');
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => resolveHfBase('mirror.local', {})).toThrow(
      new EngineError('BAD_ARGUMENT', "download base 'mirror.local' is not a URL (expected e.g. https://huggingface.co)"),
    );
    expect(() => resolveHfBase('file:///models', {})).toThrow("download base 'file:///models' must be an http:// or https:// URL");
  });
});

describe('hfFileUrl', () => {
  it('builds <base>/<repo>/resolve/<revision>/<path>, escaping each path segment', () => {
    expect(hfFileUrl('https://huggingface.co', 'HuggingFaceTB/SmolVLM-256M-Instruct', 'main', 'onnx/vision_encoder_q4.onnx')).toBe(
      'https://huggingface.co/HuggingFaceTB/SmolVLM-256M-Instruct/resolve/main/onnx/vision_encoder_q4.onnx',
    );
    expect(hfFileUrl('http://h', 'o/r', 'main', 'a b/c#d.json')).toBe('http://h/o/r/resolve/main/a%20b/c%23d.json');
  });
});
