// Conversation → prompt text, shared by the families: the chat template renders the turns with one image
// placeholder in the first user turn, and the family's expansion of the image replaces that placeholder.
import { EngineError } from '../errors';
import type { ChatTemplate, TemplateMessage } from '../text/chat-template';
import type { ConversationTurn } from './family';

/**
 * `textContent`: the template reads each message's content as plain text (Phi-3-vision's), so the photo is the
 * placeholder on its own line before the first question; otherwise content is a list of image and text parts.
 */
export function renderConversation(
  template: ChatTemplate,
  turns: ConversationTurn[],
  placeholder: string,
  expandedImage: string,
  { textContent = false } = {},
): string {
  if (turns.length === 0 || turns[0].role !== 'user') throw new EngineError('BAD_ARGUMENT', 'a conversation starts with a user turn');
  for (const t of turns) {
    // A typed placeholder would become an image token without a feature behind it.
    if (t.text.includes(placeholder)) throw new EngineError('BAD_ARGUMENT', `the text may not contain the reserved token ${placeholder}`);
  }
  const messages: TemplateMessage[] = turns.map((t, i) => ({
    role: t.role,
    content: textContent
      ? `${i === 0 ? `${placeholder}\n` : ''}${t.text}`
      : i === 0
        ? [{ type: 'image' }, { type: 'text', text: t.text }]
        : [{ type: 'text', text: t.text }],
  }));
  const rendered = template.render(messages, true);
  const at = rendered.indexOf(placeholder);
  if (at < 0 || rendered.indexOf(placeholder, at + placeholder.length) >= 0) {
    throw new EngineError('MODEL_MISMATCH', `the chat template must place exactly one ${placeholder} for the photo`);
  }
  return rendered.slice(0, at) + expandedImage + rendered.slice(at + placeholder.length);
}
