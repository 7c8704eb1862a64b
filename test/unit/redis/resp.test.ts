import { describe, expect, it } from 'vitest';
import {
  encodeCommand,
  ReplyError,
  RespDecoder,
  replyBytes,
  replyText,
} from '../../../src/adapters/redis/resp.ts';

describe('RESP2 codec', () => {
  it('encodes a command as an array of bulk strings, counting bytes not characters', () => {
    expect(encodeCommand(['SET', 'k', 'é']).toString('utf8')).toBe(
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n',
    );
  });

  it('decodes every reply type, in order', () => {
    const d = new RespDecoder();
    const replies = d.push(
      Buffer.from('+OK\r\n-ERR nope\r\n:42\r\n$-1\r\n*-1\r\n$4\r\nhé!\r\n*2\r\n$4\r\nsave\r\n$0\r\n\r\n'),
    );
    expect(replies.slice(0, 1)).toEqual(['OK']);
    expect(replies[1]).toBeInstanceOf(ReplyError);
    expect((replies[1] as ReplyError).message).toBe('ERR nope');
    expect(replies.slice(2).map(replyText)).toEqual([42, null, null, 'hé!', ['save', '']]);
  });

  it('waits for the rest of a reply split across chunks, at any byte', () => {
    const text = `${'a'.repeat(300)} x\nline two\n`;
    const wire = Buffer.from(`*2\r\n$${Buffer.byteLength(text)}\r\n${text}\r\n:7\r\n+PONG\r\n`);
    for (let cut = 1; cut < wire.length; cut += 7) {
      const d = new RespDecoder();
      const got = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))].map(replyText);
      expect(got).toEqual([[text, 7], 'PONG']);
    }
  });

  it('keeps bulk strings as bytes when asked, so binary key names arrive as they are', () => {
    const key = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
    const wire = Buffer.concat([Buffer.from('*1\r\n$4\r\n'), key, Buffer.from('\r\n')]);
    const [reply] = new RespDecoder().push(wire).map(replyBytes);
    expect(reply).toEqual([key]);
    // Sent back as a Buffer argument, the same bytes go out.
    expect(encodeCommand(['DEL', key]).subarray(-6, -2)).toEqual(key);
    // As text the invalid UTF-8 would be mangled: that is why key names are read as bytes.
    const asText = (replyText(reply!) as string[])[0]!;
    expect(Buffer.from(asText, 'utf8').equals(key)).toBe(false);
  });

  it('refuses bytes that are not RESP2', () => {
    expect(() => new RespDecoder().push(Buffer.from('HTTP/1.1 400\r\n'))).toThrow(/not a RESP2 reply/);
  });
});
