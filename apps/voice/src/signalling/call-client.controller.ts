import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, NotFoundException, Param, StreamableFile } from '@nestjs/common';

/** The bundled reference web client (apps/voice/client/web, bundled into dist/ by tools/build). */
const CLIENT_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json',
  'style.css': 'text/css; charset=utf-8',
};

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

@Controller('calls/client')
export class CallClientController {
  private readonly directory = clientDirectory();

  /** The page itself; its assets use absolute paths, so `/calls/client?token=…` works as well as `/calls/client/`. */
  @Get()
  @Header('cache-control', 'no-cache')
  page() {
    return this.file('index.html');
  }

  @Get(':file')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  file(@Param('file') file: string) {
    const type = CLIENT_FILES[file];
    const path = join(this.directory, file);
    if (!type || !existsSync(path)) throw new NotFoundException(`No web client file ${file} (build it with: node tools/build/build.mjs)`);
    return new StreamableFile(readFileSync(path), { type });
  }
}
