import { describe, expect, it } from 'vitest';
import { thrownEngineError } from '../test/engine-errors';
import { ChatTemplate } from '../text/chat-template';
import { renderConversation } from './conversation';

// A minimal template in the shape of SmolVLM's: role, then the content parts, an image part spelled <image>.
const TEMPLATE =
  "{% for m in messages %}{{ m.role }}:{% for p in m.content %}{% if p.type == 'image' %}<image>{% else %}{{ p.text }}{% endif %}{% endfor %};{% endfor %}" +
  '{% if add_generation_prompt %}assistant:{% endif %}';
const template = new ChatTemplate(TEMPLATE, {});

describe('renderConversation', () => {
  it('replaces the one placeholder with the expanded image and ends with the assistant cue', () => {
    expect(renderConversation(template, [{ role: 'user', text: 'what?' }], '<image>', '[IMG]')).toBe('user:[IMG]what?;assistant:');
  });

  it('places the image in the first user turn only', () => {
    const turns = [
      { role: 'user' as const, text: 'a' },
      { role: 'assistant' as const, text: 'b' },
      { role: 'user' as const, text: 'c' },
    ];
    expect(renderConversation(template, turns, '<image>', '[IMG]')).toBe('user:[IMG]a;assistant:b;user:c;assistant:');
  });

  it('keeps an expansion that itself contains the placeholder (pruned prompts are made of image tokens)', () => {
    expect(renderConversation(template, [{ role: 'user', text: 'q' }], '<image>', '<image><image>')).toBe(
      'user:<image><image>q;assistant:',
    );
  });

  it.each([
    ['no turns', []],
    ['an assistant turn first', [{ role: 'assistant' as const, text: 'hello' }]],
  ])('refuses a conversation with %s', (_what, turns) => {
    const e = thrownEngineError(() => renderConversation(template, turns, '<image>', '[IMG]'));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toBe('a conversation starts with a user turn');
  });

  it('refuses a typed placeholder in any turn', () => {
    const turns = [
      { role: 'user' as const, text: 'a' },
      { role: 'assistant' as const, text: 'b' },
      { role: 'user' as const, text: 'x<image>y' },
    ];
    const e = thrownEngineError(() => renderConversation(template, turns, '<image>', '[IMG]'));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toBe('the text may not contain the reserved token <image>');
  });

  it.each([
    ['never places the image', new ChatTemplate('{% for m in messages %}{{ m.role }}{% endfor %}', {})],
    ['places it twice', new ChatTemplate('{% for m in messages %}<image><image>{% endfor %}', {})],
  ])('refuses a template that %s', (_what, bad) => {
    const e = thrownEngineError(() => renderConversation(bad, [{ role: 'user', text: 'q' }], '<image>', '[IMG]'));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toBe('the chat template must place exactly one <image> for the photo');
  });
});
