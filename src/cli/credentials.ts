/** The target's password for the CLI: REDIS_PASSWORD or `--password-file`, never a command-line argument. */
import { readFileSync } from 'node:fs';
import type { ClusterDefinition } from '../core/ports.ts';

export type PasswordResult = { ok: true; password?: string } | { ok: false; why: string };

export function cliPassword(
  values: { password?: string; 'password-file'?: string },
  env: Record<string, string | undefined>,
): PasswordResult {
  if (values.password !== undefined)
    return {
      ok: false,
      why: '--password on the command line shows in ps and the shell history: set REDIS_PASSWORD, or give --password-file <path>',
    };
  const file = values['password-file'];
  if (file !== undefined) {
    try {
      // A Secret file often ends with a newline that is not part of the password.
      const password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      return password ? { ok: true, password } : { ok: false, why: `--password-file ${file} is empty` };
    } catch (err) {
      const code = (err as { code?: string }).code;
      return { ok: false, why: `cannot read --password-file ${file}${code ? ` (${code})` : ''}` };
    }
  }
  return env.REDIS_PASSWORD ? { ok: true, password: env.REDIS_PASSWORD } : { ok: true };
}

/** The cluster a CLI command reads: its seeds, `--cluster` name and credentials (`--user`, the password). */
export function cliTarget(
  values: { password?: string; 'password-file'?: string; user?: string; cluster?: string },
  seeds: string[],
  env: Record<string, string | undefined>,
): { ok: true; def: ClusterDefinition } | { ok: false; why: string } {
  const pw = cliPassword(values, env);
  if (!pw.ok) return pw;
  const password = pw.password;
  const username = values.user ?? env.REDIS_USERNAME;
  return {
    ok: true,
    def: {
      name: values.cluster ?? 'default',
      seeds,
      auth: { ...(username ? { username } : {}), ...(password ? { password } : {}) },
    },
  };
}
