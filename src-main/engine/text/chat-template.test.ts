import { describe, expect, it } from 'vitest';
import { readModelFolder } from '../model/read-model-folder';
import { fixtureDir } from '../test/paths';
import { ChatTemplate } from './chat-template';

describe('ChatTemplate', () => {
  const folder = readModelFolder(fixtureDir('tiny-smolvlm'));
  const smolvlm = new ChatTemplate(folder.chatTemplate, folder.tokenizerConfig);

  it("renders SmolVLM's template: image in the first turn, history, and the assistant cue", () => {
    const text = smolvlm.render([
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is this?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Which colour?' }] },
    ]);
    expect(text).toBe(
      '<|im_start|>User:<image>What is this?<end_of_utterance>\n' +
        'Assistant: A cat.<end_of_utterance>\n' +
        'User: Which colour?<end_of_utterance>\n' +
        'Assistant:',
    );
  });

  it('leaves the assistant cue out when asked', () => {
    expect(smolvlm.render([{ role: 'user', content: [{ type: 'text', text: 'x' }] }], false)).toBe(
      '<|im_start|>User: x<end_of_utterance>\n',
    );
  });

  it('passes special tokens given as strings or as { content } objects to the template', () => {
    const template = new ChatTemplate('{{ bos_token }}|{{ eos_token }}|{{ pad_token }}|{{ unk_token is defined }}', {
      bos_token: '<s>',
      eos_token: { content: '</s>', lstrip: false },
      pad_token: '<pad>',
      unk_token: null,
    });
    expect(template.render([])).toBe('<s>|</s>|<pad>|false');
  });

  it('exposes add_generation_prompt to the template', () => {
    const template = new ChatTemplate('{% for m in messages %}[{{ m.role }}]{% endfor %}{% if add_generation_prompt %}>{% endif %}', {});
    const messages = [{ role: 'system' as const, content: [{ type: 'text' as const, text: '' }] }];
    expect(template.render(messages)).toBe('[system]>');
    expect(template.render(messages, false)).toBe('[system]');
  });
});
