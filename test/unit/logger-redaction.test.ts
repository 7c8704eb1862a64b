/** What the logger lets through (issue 16, point 7): URLs, nested command arguments, error objects, secret values. */
import { describe, expect, it } from 'vitest';
import { createLogger, errFields, redactUrl } from '../../src/logger.ts';

function capture(secrets?: string[]) {
  const lines: string[] = [];
  const log = createLogger('debug', { write: (l: string) => void lines.push(l) }, secrets ? { secrets } : {});
  return { log, lines };
}

describe('the logger', () => {
  it('redactUrl hides the whole password, an @ in it included, and keeps host and port', () => {
    expect(redactUrl('redis://:p@ss@10.0.0.1:6379/0')).toBe('redis://:***@10.0.0.1:6379/0');
    expect(redactUrl('redis://medic:s3cr@t:x@host:6379')).toBe('redis://medic:***@host:6379');
    expect(redactUrl('rediss://token@host:6380')).toBe('rediss://***@host:6380');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
    expect(redactUrl('not a url but //a:b@c@d')).not.toMatch(/a:b|@c@/);
  });

  it('redacts command arguments, also inside an error object’s command', () => {
    const { log, lines } = capture();
    log.warn({ args: ['AUTH', 'pw-top'] }, 'top');
    log.warn({ err: { command: { name: 'auth', args: ['medic', 'pw-nested'] } } }, 'nested');
    log.warn({ step: { command: { args: ['CONFIG', 'SET', 'masterauth', 'pw-deeper'] } } }, 'deeper');
    log.warn({ cluster: { auth: { password: 'pw-auth' } } }, 'auth');
    const text = lines.join('\n');
    for (const pw of ['pw-top', 'pw-nested', 'pw-deeper', 'pw-auth']) expect(text).not.toContain(pw);
    expect(text).toContain('[redacted]');
  });

  it('errFields keeps the message and code of an error, never its command', () => {
    const err = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      code: 'WRONGPASS',
      command: { name: 'auth', args: ['medic', 'pw-in-error'] },
    });
    expect(errFields(err)).toEqual({ err: 'WRONGPASS invalid username-password pair', code: 'WRONGPASS' });
    expect(JSON.stringify(errFields(err))).not.toContain('pw-in-error');
    expect(errFields('plain')).toEqual({ err: 'plain' });
  });

  it('scrubs configured secret values wherever they appear, raw, escaped or URL-encoded', () => {
    const { log, lines } = capture(['xoxb-very-secret', 'p@ss"word']);
    log.info(`token is xoxb-very-secret in a string`);
    log.info({ note: 'p@ss"word', url: `redis://:${encodeURIComponent('p@ss"word')}@h:1` }, 'x');
    const text = lines.join('\n');
    expect(text).not.toContain('xoxb-very-secret');
    expect(text).not.toContain('p@ss');
    expect(text).not.toContain(encodeURIComponent('p@ss"word'));
  });
});
