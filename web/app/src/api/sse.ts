/** One Server-Sent Event as read off a response body. */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Reads a `text/event-stream` body (WHATWG HTML §9.2) and calls `onMessage` for each event.
 * fetch rather than EventSource: the answer to a POST streams too, and our own reconnect
 * sends Last-Event-ID with the session's headers.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: SseMessage) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  let id: string | undefined;
  const line = (text: string) => {
    if (text === '') {
      if (data.length) onMessage({ event, data: data.join('\n'), ...(id ? { id } : {}) });
      event = 'message';
      data = [];
      id = undefined;
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let at: number;
    while ((at = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const end = buffer[at] === '\r' && buffer[at + 1] === '\n' ? at + 2 : at + 1;
      line(buffer.slice(0, at));
      buffer = buffer.slice(end);
    }
  }
  if (buffer) line(buffer);
  line('');
}
