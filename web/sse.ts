// Server-Sent Events over fetch (not EventSource): a POST body can be sent (completion of an
// uploaded PNG), an HTTP error's message is readable, there is no automatic reconnect (which would
// restart sampling), and aborting the fetch closes the connection — the server then stops sampling.

export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

/** Parse complete SSE messages out of `buffer`; returns them and the unparsed rest. Pure. */
export const parseSse = (buffer: string): { messages: SseMessage[]; rest: string } => {
  const messages: SseMessage[] = [];
  let rest = buffer;
  for (let end = rest.indexOf('\n\n'); end >= 0; end = rest.indexOf('\n\n')) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) messages.push({ event, data: data.join('\n') });
  }
  return { messages, rest };
};

/** Read an SSE response to its end, calling `on` for every message; throws with the server's message on HTTP errors. */
export const readSse = async (url: string, init: RequestInit, on: (m: SseMessage) => void): Promise<void> => {
  const res = await fetch(url, init);
  if (!res.ok) {
    let msg = await res.text();
    try {
      msg = (JSON.parse(msg) as { error?: string }).error ?? msg;
    } catch {
      /* plain text */
    }
    throw new Error(`HTTP ${res.status}: ${msg}`);
  }
  if (!res.body) throw new Error(`${url}: the response has no body`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const { messages, rest } = parseSse(buffer + value);
    buffer = rest;
    messages.forEach(on);
  }
};
