import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';

/** Where the reference web client is served (the page; its assets are `<path>/<file>`). */
export const WEB_CLIENT_PATH = '/calls/client';

/** The files of the bundle, by name, with their content types; nothing else is served. */
const CLIENT_FILES = new Map([
  ['index.html', 'text/html; charset=utf-8'],
  ['app.js', 'text/javascript; charset=utf-8'],
  ['app.js.map', 'application/json'],
  ['style.css', 'text/css; charset=utf-8'],
]);

export interface WebClientFile {
  readonly body: Buffer;
  readonly type: string;
}

/**
 * The bundle beside this module when running from dist/ (also in the app's container image), else
 * the workspace's dist/ when running from sources (integration tests).
 */
function clientDirectory(): string {
  const beside = join(import.meta.dirname, '../../client/web');
  if (existsSync(join(beside, 'app.js'))) return beside;
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const built = join(dir, 'dist/apps/voice/client/web');
    if (existsSync(join(built, 'app.js'))) return built;
  }
  return beside;
}

/** The bundled reference web client (apps/voice/client/web, bundled into dist/ by tools/build). */
@Injectable()
export class CallWebClient {
  private readonly directory = clientDirectory();

  /**
   * The file a GET of `path` serves, else undefined. The page answers with and without the
   * trailing slash (its assets use absolute paths); files are read per request, so a rebuild
   * shows without a restart.
   */
  fileAt(path: string): WebClientFile | undefined {
    const directory = `${WEB_CLIENT_PATH}/`;
    const name = path === WEB_CLIENT_PATH || path === directory ? 'index.html' : path.startsWith(directory) ? path.slice(directory.length) : '';
    const type = CLIENT_FILES.get(name);
    if (!type) return undefined;
    try {
      return { body: readFileSync(join(this.directory, name)), type };
    } catch {
      return undefined; // not built
    }
  }
}
