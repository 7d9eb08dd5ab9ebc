#!/usr/bin/env node
// Makes a working mediasoup-worker binary available for the installed mediasoup
// package, on any machine, with or without internet. Node built-ins only: this
// runs right after `npm ci`, before anything is compiled.
//
// Resolution order (first hit wins; see README.md in this folder):
//   a. MEDIASOUP_WORKER_BIN         - verified, used as is
//   b. cache                         - ${BOOMERANG_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/boomerang}/mediasoup-worker/<version>/mediasoup-worker
//   c. mediasoup's prebuilt binary   - downloaded from GitHub releases (only when github.com answers quickly)
//   d. build from the package's own worker sources against Debian system libraries
// Then the binary is copied to node_modules/mediasoup/worker/out/Release/mediasoup-worker,
// where mediasoup looks by default.

import { spawnSync } from 'node:child_process';
import * as dns from 'node:dns/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';

import { applySourceFixes } from './source-fixes.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const SHIMS_DIR = path.join(HERE, 'shims');
const MEDIASOUP_DIR = path.join(REPO_ROOT, 'node_modules', 'mediasoup');
const DEFAULT_BIN = path.join(MEDIASOUP_DIR, 'worker', 'out', 'Release', 'mediasoup-worker');
const BIN_NAME = 'mediasoup-worker';

/** mediasoup's own sanity check: the worker run with an empty environment exits 41. */
const SANITY_EXIT_CODE = 41;

/** Debian packages needed to build the worker from source. */
const DEBIAN_BUILD_PACKAGES = [
  'g++',
  'meson',
  'ninja-build',
  'pkg-config',
  'python3',
  'libssl-dev',
  'libuv1-dev',
  'libabsl-dev',
  'libsrtp2-dev',
  'libusrsctp-dev',
  'flatbuffers-compiler',
  'libflatbuffers-dev',
];

/** Debian packages a source-built worker needs at run time. */
const DEBIAN_RUNTIME_PACKAGES = ['libssl3', 'libuv1', 'libsrtp2-1', 'libusrsctp2', 'libabsl20220623'];

/** Shared-library name prefix -> Debian runtime package, for `ldd` "not found" lines. */
const DEBIAN_PACKAGE_BY_LIBRARY = [
  [/^libssl\.so\.3/, 'libssl3'],
  [/^libcrypto\.so\.3/, 'libssl3'],
  [/^libuv\.so\.1/, 'libuv1'],
  [/^libsrtp2\.so\.1/, 'libsrtp2-1'],
  [/^libusrsctp\.so\.2/, 'libusrsctp2'],
  [/^libabsl_.*\.so\.20220623/, 'libabsl20220623'],
  [/^libflatbuffers\.so\.2/, 'libflatbuffers2'],
  [/^libnss3\.so/, 'libnss3'],
  [/^libnspr4\.so/, 'libnspr4'],
];

/** Commands and pkg-config modules the source build needs (checked on any distro). */
const BUILD_COMMANDS = ['c++', 'cc', 'meson', 'ninja', 'pkg-config', 'flatc'];
const BUILD_PKG_CONFIG_MODULES = [
  'openssl',
  'libuv',
  'libsrtp2',
  'usrsctp',
  'flatbuffers',
  'absl_flat_hash_map',
  'absl_strings',
];

class EnsureWorkerError extends Error {}

const fail = (message) => {
  throw new EnsureWorkerError(message);
};

const log = (message) => process.stderr.write(`[mediasoup-worker] ${message}\n`);

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

function commandExists(command) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return dirs.some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs a command; output goes to our stderr (stdout stays for the result line). */
function run(command, args, options = {}) {
  log(`$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: ['ignore', 2, 2], ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`command failed (exit ${result.status ?? result.signal}): ${[command, ...args].join(' ')}`);
  }
}

function capture(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) return { ok: false, stdout: '', stderr: result.error.message, status: null };
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: result.stderr ?? '', status: result.status };
}

function readMediasoupVersion() {
  const pkgFile = path.join(MEDIASOUP_DIR, 'package.json');
  if (!fs.existsSync(pkgFile)) {
    fail(`mediasoup is not installed (${pkgFile} is missing); run \`npm ci\` first`);
  }
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  return { version: pkg.version, repositoryUrl: pkg.repository?.url ?? 'git+https://github.com/versatica/mediasoup.git' };
}

function cacheRoot() {
  if (process.env.BOOMERANG_CACHE_DIR) return path.resolve(process.env.BOOMERANG_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(path.resolve(xdg), 'boomerang');
}

// ---------------------------------------------------------------------------
// Binary checks
// ---------------------------------------------------------------------------

/** mediasoup's own check (npm-scripts.mjs): run with an empty environment, expect exit 41. */
function sanityCheck(bin) {
  const result = spawnSync(bin, [], { env: {}, stdio: 'ignore', timeout: 15_000 });
  if (result.error) return { ok: false, detail: result.error.message };
  if (result.status === SANITY_EXIT_CODE) return { ok: true, detail: '' };
  return { ok: false, detail: `exit ${result.status ?? result.signal}, expected ${SANITY_EXIT_CODE}` };
}

function assertExecutable(bin, what) {
  if (!fs.existsSync(bin)) fail(`${what} does not exist: ${bin}`);
  if (!fs.statSync(bin).isFile()) fail(`${what} is not a regular file: ${bin}`);
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    fail(`${what} is not executable: ${bin}`);
  }
}

const isDebianLike = () => commandExists('apt-get') && commandExists('dpkg-query');

/** Debian packages (of `packages`) that are not installed. */
function missingDebianPackages(packages) {
  const result = capture('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...packages]);
  const installed = new Set(
    result.stdout
      .split('\n')
      .map((line) => line.trim().split(' '))
      .filter(([, status]) => status === 'installed')
      .map(([name]) => name),
  );
  return packages.filter((name) => !installed.has(name));
}

let aptUpdated = false;

/** Installs Debian packages when root; otherwise stops with the exact command to run. */
function aptInstall(packages, purpose) {
  if (packages.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (!isRoot()) {
    fail(`missing Debian packages ${purpose}: ${packages.join(' ')}\n  install them with:\n    sudo ${command}`);
  }
  log(`installing Debian packages ${purpose}: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const args = ['install', '-y', '--no-install-recommends', ...packages];
  const first = spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], env });
  if (first.status === 0) return;
  if (!aptUpdated) {
    // Package lists are often empty in containers: update once and retry.
    aptUpdated = true;
    run('apt-get', ['update'], { env });
    run('apt-get', args, { env });
    return;
  }
  fail(`apt-get failed to install: ${packages.join(' ')}`);
}

/** Shared libraries `ldd` cannot resolve for `bin` (empty when ldd is unavailable). */
function unresolvedLibraries(bin) {
  if (process.platform !== 'linux' || !commandExists('ldd')) return [];
  const result = capture('ldd', [bin]);
  return result.stdout
    .split('\n')
    .filter((line) => line.includes('=> not found'))
    .map((line) => line.trim().split(/\s+/)[0]);
}

/**
 * Makes sure the shared libraries the binary links to are present. On Debian the
 * runtime packages of a source-built worker are installed when missing (as root).
 */
function ensureRuntimeLibraries(bin, { sourceBuild }) {
  if (sourceBuild && isDebianLike()) {
    aptInstall(missingDebianPackages(DEBIAN_RUNTIME_PACKAGES), 'the source-built worker needs at run time');
  }

  let missing = unresolvedLibraries(bin);
  if (missing.length === 0) return;

  if (isDebianLike()) {
    const packages = new Set();
    const unknown = [];
    for (const lib of missing) {
      const entry = DEBIAN_PACKAGE_BY_LIBRARY.find(([pattern]) => pattern.test(lib));
      if (entry) packages.add(entry[1]);
      else unknown.push(lib);
    }
    if (unknown.length > 0) {
      fail(`${bin} needs shared libraries that are not installed: ${missing.join(', ')}`);
    }
    aptInstall([...packages], `for the shared libraries ${missing.join(', ')}`);
    missing = unresolvedLibraries(bin);
    if (missing.length === 0) return;
  }
  fail(`${bin} needs shared libraries that are not installed: ${missing.join(', ')}`);
}

/** Full verification of a candidate binary; returns a failure description or null. */
function verify(bin, { sourceBuild }) {
  ensureRuntimeLibraries(bin, { sourceBuild });
  const sanity = sanityCheck(bin);
  return sanity.ok ? null : `sanity check failed (${sanity.detail})`;
}

// ---------------------------------------------------------------------------
// a. MEDIASOUP_WORKER_BIN
// ---------------------------------------------------------------------------

function fromEnvironment() {
  const bin = path.resolve(process.env.MEDIASOUP_WORKER_BIN);
  assertExecutable(bin, 'MEDIASOUP_WORKER_BIN');
  const problem = verify(bin, { sourceBuild: false });
  if (problem) fail(`MEDIASOUP_WORKER_BIN=${bin}: ${problem}`);
  return bin;
}

// ---------------------------------------------------------------------------
// b. cache
// ---------------------------------------------------------------------------

function cacheInfoFile(cachedBin) {
  return path.join(path.dirname(cachedBin), 'build-info.json');
}

function readCacheInfo(cachedBin) {
  try {
    return JSON.parse(fs.readFileSync(cacheInfoFile(cachedBin), 'utf8'));
  } catch {
    return {};
  }
}

function fromCache(cachedBin) {
  if (!fs.existsSync(cachedBin)) return null;
  const info = readCacheInfo(cachedBin);
  const problem = verify(cachedBin, { sourceBuild: info.source !== 'prebuilt' });
  if (problem) {
    log(`ignoring cached worker ${cachedBin}: ${problem}`);
    return null;
  }
  return { bin: cachedBin, origin: info.source ?? 'unknown' };
}

/** Moves a verified binary into the cache atomically (rename within the cache dir). */
function storeInCache(tempBin, cachedBin, info) {
  const dir = path.dirname(cachedBin);
  fs.mkdirSync(dir, { recursive: true });
  const staged = path.join(dir, `.${BIN_NAME}.${process.pid}.tmp`);
  fs.copyFileSync(tempBin, staged);
  fs.chmodSync(staged, 0o755);
  fs.writeFileSync(cacheInfoFile(cachedBin), `${JSON.stringify(info, null, 2)}\n`);
  fs.renameSync(staged, cachedBin);
}

// ---------------------------------------------------------------------------
// c. mediasoup's prebuilt binary
// ---------------------------------------------------------------------------

async function internetReachable() {
  const timeout = (ms) => new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref());
  try {
    await Promise.race([dns.lookup('github.com'), timeout(3000)]);
    const res = await fetch('https://github.com', { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(3000) });
    return res.status > 0;
  } catch {
    return false;
  }
}

/** Same naming as mediasoup's npm-scripts.mjs getWorkerPrebuildTarName(). */
function prebuiltTarName(version) {
  let name = `mediasoup-worker-${version}-${os.platform()}-${os.arch()}`;
  if (os.platform() === 'linux') name += `-kernel${Number(os.release().split('.')[0])}`;
  return `${name}.tgz`;
}

/** Extracts one regular file by base name from a (gunzipped) tar archive. */
function extractFromTar(tarBuffer, baseName) {
  let offset = 0;
  while (offset + 512 <= tarBuffer.length) {
    const header = tarBuffer.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start, length) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const name = field(0, 100);
    const prefix = field(345, 155);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const fullName = prefix ? `${prefix}/${name}` : name;
    const dataStart = offset + 512;
    if (type === '0' && path.posix.basename(fullName) === baseName) {
      return tarBuffer.subarray(dataStart, dataStart + size);
    }
    offset = dataStart + Math.ceil(size / 512) * 512;
  }
  return null;
}

async function downloadPrebuilt({ version, repositoryUrl }, workDir) {
  if (process.env.MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD) {
    log('MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD is set: not downloading a prebuilt worker');
    return null;
  }
  const base =
    process.env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL ||
    `${repositoryUrl.replace(/^git\+/, '').replace(/\.git$/, '')}/releases/download`;
  if (!process.env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL && !(await internetReachable())) {
    log('github.com is not reachable (3 s check): skipping the prebuilt download');
    return null;
  }

  const url = `${base}/${version}/${prebuiltTarName(version)}`;
  log(`downloading mediasoup's prebuilt worker: ${url}`);
  let archive;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
    if (!res.ok) {
      log(`no prebuilt worker (${res.status} ${res.statusText}): building from source`);
      return null;
    }
    archive = Buffer.from(await res.arrayBuffer());
  } catch (error) {
    log(`prebuilt download failed (${error.message}): building from source`);
    return null;
  }

  let content;
  try {
    content = extractFromTar(zlib.gunzipSync(archive), BIN_NAME);
  } catch (error) {
    log(`prebuilt archive is not a valid .tgz (${error.message}): building from source`);
    return null;
  }
  if (!content) {
    log(`prebuilt archive has no ${BIN_NAME}: building from source`);
    return null;
  }

  const bin = path.join(workDir, BIN_NAME);
  fs.writeFileSync(bin, content, { mode: 0o755 });
  const problem = verify(bin, { sourceBuild: false });
  if (problem) {
    log(`prebuilt worker does not run on this host (${problem}): building from source`);
    return null;
  }
  return { bin, url };
}

// ---------------------------------------------------------------------------
// d. build from the package's own sources against Debian system libraries
// ---------------------------------------------------------------------------

function ensureBuildPrerequisites() {
  if (process.platform !== 'linux') {
    fail(
      `no cached or prebuilt mediasoup-worker for ${process.platform}-${process.arch}, and the ` +
        'source build here only supports Linux with Debian-style system libraries. ' +
        'Build the worker yourself and set MEDIASOUP_WORKER_BIN.',
    );
  }
  if (isDebianLike()) {
    aptInstall(missingDebianPackages(DEBIAN_BUILD_PACKAGES), 'to build mediasoup-worker from source');
  }

  const missingCommands = BUILD_COMMANDS.filter((command) => !commandExists(command));
  const missingModules = commandExists('pkg-config')
    ? BUILD_PKG_CONFIG_MODULES.filter((module) => !capture('pkg-config', ['--exists', module]).ok)
    : BUILD_PKG_CONFIG_MODULES;
  if (missingCommands.length > 0 || missingModules.length > 0) {
    fail(
      'cannot build mediasoup-worker from source: ' +
        [
          missingCommands.length ? `missing commands: ${missingCommands.join(', ')}` : '',
          missingModules.length ? `missing pkg-config modules: ${missingModules.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ') +
        `\n  On Debian/Ubuntu: sudo apt-get install -y ${DEBIAN_BUILD_PACKAGES.join(' ')}`,
    );
  }

  const mesonVersion = capture('meson', ['--version']).stdout.trim();
  const [major, minor] = mesonVersion.split('.').map(Number);
  if (!(major > 1 || (major === 1 && minor >= 0))) {
    fail(`meson >= 1.0 is required to build mediasoup-worker (found ${mesonVersion || 'none'})`);
  }
}

/** Replaces every meson wrap (they download sources) with the local shims in ./shims. */
function installSubprojectShims(workerDir) {
  const subprojectsDir = path.join(workerDir, 'subprojects');
  for (const entry of fs.readdirSync(subprojectsDir)) {
    if (entry.endsWith('.wrap')) fs.rmSync(path.join(subprojectsDir, entry));
  }
  for (const shim of fs.readdirSync(SHIMS_DIR)) {
    const target = path.join(subprojectsDir, shim);
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(path.join(SHIMS_DIR, shim), target, { recursive: true });
  }
}

function buildFromSource(version, workDir) {
  ensureBuildPrerequisites();

  const workerDir = path.join(workDir, 'worker');
  const buildDir = path.join(workDir, 'build');
  log(`building mediasoup-worker ${version} from source in ${workDir} (takes several minutes)`);

  const sourceWorker = path.join(MEDIASOUP_DIR, 'worker');
  fs.cpSync(sourceWorker, workerDir, {
    recursive: true,
    filter: (src) => !['out', 'prebuild', 'pip_invoke'].includes(path.relative(sourceWorker, src).split(path.sep)[0]),
  });

  installSubprojectShims(workerDir);

  let fixes;
  try {
    fixes = applySourceFixes(workerDir);
  } catch (error) {
    fail(error.message);
  }
  for (const fix of fixes.applied) log(`source fix applied: ${fix}`);
  for (const fix of fixes.alreadyApplied) log(`source fix already present: ${fix}`);

  run('meson', [
    'setup',
    '--buildtype',
    'release',
    '-Db_ndebug=true',
    '-Dms_disable_liburing=true',
    '--wrap-mode=nodownload',
    buildDir,
    workerDir,
  ]);

  const jobs = process.env.MEDIASOUP_MAX_CORES ? ['-j', String(Number(process.env.MEDIASOUP_MAX_CORES))] : [];
  // Generated FlatBuffers headers first, then only the worker executable (plain
  // `ninja` would also build the C++ tests, which need Catch2 v3).
  run('ninja', ['-C', buildDir, ...jobs, 'fbs/FBS']);
  run('ninja', ['-C', buildDir, ...jobs, BIN_NAME]);

  const bin = path.join(buildDir, BIN_NAME);
  assertExecutable(bin, 'built worker');
  const problem = verify(bin, { sourceBuild: true });
  if (problem) fail(`the freshly built worker ${bin} fails: ${problem}`);
  return { bin, fixes: [...fixes.applied, ...fixes.alreadyApplied] };
}

// ---------------------------------------------------------------------------
// Install at mediasoup's default location
// ---------------------------------------------------------------------------

function sameFile(a, b) {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
    return sa.size === sb.size && fs.readFileSync(a).equals(fs.readFileSync(b));
  } catch {
    return false;
  }
}

function installAtDefaultPath(bin) {
  if (path.resolve(bin) === DEFAULT_BIN || sameFile(bin, DEFAULT_BIN)) return;
  fs.mkdirSync(path.dirname(DEFAULT_BIN), { recursive: true });
  const staged = `${DEFAULT_BIN}.${process.pid}.tmp`;
  // A copy, not a hard link: something rewriting node_modules' file in place
  // (e.g. mediasoup's own postinstall extracting a prebuilt) must not alter the cache.
  fs.copyFileSync(bin, staged, fs.constants.COPYFILE_FICLONE);
  fs.chmodSync(staged, 0o755);
  fs.renameSync(staged, DEFAULT_BIN);
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const meta = readMediasoupVersion();
  const { version } = meta;
  const cachedBin = path.join(cacheRoot(), 'mediasoup-worker', version, BIN_NAME);

  let source;
  let bin;

  if (process.env.MEDIASOUP_WORKER_BIN) {
    bin = fromEnvironment();
    source = 'MEDIASOUP_WORKER_BIN';
  } else {
    const cached = fromCache(cachedBin);
    if (cached) {
      bin = cached.bin;
      source = `cache (${cached.origin})`;
    } else {
      const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `boomerang-mediasoup-worker-${version}-`));
      let succeeded = false;
      try {
        const prebuilt = await downloadPrebuilt(meta, workDir);
        if (prebuilt) {
          storeInCache(prebuilt.bin, cachedBin, {
            source: 'prebuilt',
            mediasoupVersion: version,
            url: prebuilt.url,
            createdAt: new Date().toISOString(),
          });
          source = 'prebuilt download';
        } else {
          const buildStarted = Date.now();
          const built = buildFromSource(version, workDir);
          const seconds = Math.round((Date.now() - buildStarted) / 1000);
          storeInCache(built.bin, cachedBin, {
            source: 'source-build',
            mediasoupVersion: version,
            platform: `${process.platform}-${process.arch}`,
            buildSeconds: seconds,
            sourceFixes: built.fixes,
            createdAt: new Date().toISOString(),
          });
          source = `source build (${seconds} s)`;
        }
        bin = cachedBin;
        succeeded = true;
      } finally {
        if (succeeded || !fs.existsSync(path.join(workDir, 'build'))) {
          fs.rmSync(workDir, { recursive: true, force: true });
        } else {
          log(`build directory kept for inspection: ${workDir}`);
        }
      }
    }
  }

  installAtDefaultPath(bin);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `mediasoup-worker ${version}: ${source}: ${bin} -> ${path.relative(REPO_ROOT, DEFAULT_BIN)} (${seconds} s)\n`,
  );
}

main().catch((error) => {
  const message = error instanceof EnsureWorkerError ? error.message : error?.stack ?? String(error);
  process.stderr.write(`[mediasoup-worker] error: ${message}\n`);
  process.exit(1);
});
