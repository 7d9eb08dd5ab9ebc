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

/** dist/apps/voice/client/web of the workspace, whether this runs from dist/ or from sources (tests). */
function clientDirectory(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'apps'))) return join(dir, 'dist/apps/voice/client/web');
  }
  throw new Error('cannot find the workspace root for the web client');
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
