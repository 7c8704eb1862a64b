import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Loads `.env` from the working directory when there is one (Node's own `process.loadEnvFile`), for
 * `npm start` and the CLI. A variable already set in the environment wins over the file.
 */
export function loadDotEnv(path = '.env'): boolean {
  const file = resolve(path);
  if (!existsSync(file)) return false;
  process.loadEnvFile(file);
  return true;
}
