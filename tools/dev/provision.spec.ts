import {
  DEFAULT_CHROMIUM,
  ensureChromium,
  ensureMediasoupWorker,
  ensureNats,
  ensurePostgres,
  localMachine,
  MEDIASOUP_WORKER,
  needsOf,
  ProvisionError,
  provisionForTests,
  type Machine,
} from './provision.mjs';

/** A machine whose state the test sets; it records every change provisioning makes. */
function fakeMachine({
  files = [DEFAULT_CHROMIUM, MEDIASOUP_WORKER] as string[],
  listening = [5432, 4222] as number[],
  binaries = ['pg_ctlcluster', 'nats-server', 'psql'] as string[],
  root = true,
  psqlTrusts = true,
} = {}) {
  const changes: string[] = [];
  const ports = new Set(listening);
  const machine: Machine = {
    dryRun: false,
    say: () => undefined,
    exists: (path) => files.includes(path),
    reachable: async (port) => ports.has(port),
    which: (binary) => (binaries.includes(binary) ? `/usr/bin/${binary}` : undefined),
    postgresVersions: () => ['13', '15'],
    canBecomeRoot: () => root,
    run(command, args, options = {}) {
      if (command === 'psql') return psqlTrusts;
      changes.push(`${options.root ? 'root: ' : ''}${[command, ...args].join(' ')}`);
      if (command === 'pg_ctlcluster' && args.includes('start')) ports.add(5432);
      return true;
    },
    startDetached(command, args) {
      changes.push(`start: ${[command, ...args].join(' ')}`);
      if (command.endsWith('nats-server')) ports.add(4222);
    },
    waitFor: async (port) => ports.has(port),
    aptInstall(packages) {
      changes.push(`apt-get install ${packages.join(' ')}`);
      binaries.push(...packages.map((name) => (name === 'postgresql' ? 'pg_ctlcluster' : name)));
      if (packages.includes('chromium')) files.push(DEFAULT_CHROMIUM);
      return true;
    },
  };
  return { machine, changes };
}

describe('provisioning for the tests', () => {
  it('only looks when everything is there, and does so within a second on this machine', async () => {
    const { machine, changes } = fakeMachine();
    expect(await provisionForTests(machine, { env: {} })).toEqual({
      postgres: 'listening on 127.0.0.1:5432',
      nats: 'listening on 127.0.0.1:4222',
      chromium: DEFAULT_CHROMIUM,
      mediasoup: MEDIASOUP_WORKER,
    });
    expect(changes).toEqual([]);

    // The real machine in dry-run mode: the same checks against this host, nothing changed.
    const started = performance.now();
    await provisionForTests(localMachine({ dryRun: true }), { env: { TEST_DATABASE_URL: 'postgres://db/x', TEST_NATS_URL: 'nats://nats', CHROMIUM_PATH: process.execPath, MEDIASOUP_WORKER_BIN: process.execPath } });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('starts the newest PostgreSQL cluster when nothing listens on 5432, with trust auth when psql is refused', async () => {
    const { machine, changes } = fakeMachine({ listening: [4222], psqlTrusts: false });
    expect(await ensurePostgres(machine, {})).toBe('started PostgreSQL 15 on 127.0.0.1:5432');
    expect(changes).toEqual([
      'root: pg_ctlcluster --skip-systemctl-redirect 15 main start',
      expect.stringMatching(/^root: sed -i -E s\/\^\(host.*127\\\.0\\\.0\\\.1.*trust\/ \/etc\/postgresql\/15\/main\/pg_hba\.conf$/),
      'root: pg_ctlcluster --skip-systemctl-redirect 15 main reload',
    ]);
  });

  it('installs PostgreSQL first when it is missing, and uses TEST_DATABASE_URL instead when set', async () => {
    const missing = fakeMachine({ listening: [], binaries: [] });
    await ensurePostgres(missing.machine, {});
    expect(missing.changes.slice(0, 2)).toEqual(['apt-get install postgresql', 'root: pg_ctlcluster --skip-systemctl-redirect 15 main start']);

    const elsewhere = fakeMachine({ listening: [], root: false });
    expect(await ensurePostgres(elsewhere.machine, { TEST_DATABASE_URL: 'postgres://db.internal/test' })).toBe('TEST_DATABASE_URL');
    expect(elsewhere.changes).toEqual([]);
  });

  it('starts nats-server with JetStream on 4222, installing Debian nats-server when missing', async () => {
    const { machine, changes } = fakeMachine({ listening: [5432], binaries: [] });
    expect(await ensureNats(machine, {})).toBe('started nats-server on 127.0.0.1:4222');
    expect(changes).toEqual(['apt-get install nats-server', expect.stringMatching(/^start: \/usr\/bin\/nats-server -a 127\.0\.0\.1 -p 4222 -js -sd \S+boomerang-nats$/)]);
  });

  it('installs Chromium from Debian when /usr/bin/chromium is missing and root is possible', async () => {
    const { machine, changes } = fakeMachine({ files: [MEDIASOUP_WORKER] });
    expect(await ensureChromium(machine, {})).toBe(`installed ${DEFAULT_CHROMIUM}`);
    expect(changes).toEqual(['apt-get install chromium']);
  });

  it('fails early, saying exactly what to install, when it cannot become root', async () => {
    const { machine, changes } = fakeMachine({ files: [], listening: [], binaries: [], root: false });
    await expect(ensureChromium(machine, {})).rejects.toThrow(new ProvisionError(
      `Chromium is missing at ${DEFAULT_CHROMIUM} (the browser tests drive it): install Debian's package with "sudo apt-get install -y chromium", or set CHROMIUM_PATH to a Chromium binary.`,
    ));
    await expect(ensureChromium(machine, { CHROMIUM_PATH: '/opt/missing/chromium' })).rejects.toThrow(/Chromium is missing at \/opt\/missing\/chromium/);
    await expect(ensurePostgres(machine, {})).rejects.toThrow(/sudo apt-get install -y postgresql\), or set TEST_DATABASE_URL/);
    await expect(ensureNats(machine, {})).rejects.toThrow(/sudo apt-get install -y nats-server/);
    expect(changes).toEqual([]);
  });

  it('refuses a CHROMIUM_PATH that installing Debian chromium does not provide', async () => {
    const { machine } = fakeMachine({ files: [] });
    await expect(ensureChromium(machine, { CHROMIUM_PATH: '/opt/missing/chromium' })).rejects.toThrow(/CHROMIUM_PATH=\/opt\/missing\/chromium is still missing/);
  });

  it('provides the mediasoup worker when missing, unless MEDIASOUP_WORKER_BIN names one', async () => {
    const { machine, changes } = fakeMachine({ files: [] });
    expect(await ensureMediasoupWorker(machine, {})).toBe(`provided ${MEDIASOUP_WORKER}`);
    expect(changes).toEqual([expect.stringMatching(/node\S* \S+\/tools\/mediasoup\/ensure-worker\.mjs$/)]);
    expect(await ensureMediasoupWorker(fakeMachine({ files: ['/opt/worker'] }).machine, { MEDIASOUP_WORKER_BIN: '/opt/worker' })).toBe('/opt/worker');
  });

  it('provides only what the selected Jest projects need', async () => {
    expect(needsOf([])).toEqual({ services: true, browser: true, mediasoup: true });
    expect(needsOf(['--selectProjects', 'unit'])).toEqual({ services: false, browser: false, mediasoup: false });
    expect(needsOf(['--selectProjects', 'unit', 'integration', '--ci'])).toEqual({ services: true, browser: false, mediasoup: true });
    expect(needsOf(['--selectProjects=e2e'])).toEqual({ services: true, browser: true, mediasoup: true });
    const { machine, changes } = fakeMachine({ files: [], listening: [], binaries: [], root: false });
    expect(await provisionForTests(machine, { jestArgs: ['--selectProjects', 'unit'], env: {} })).toEqual({});
    expect(changes).toEqual([]);
  });
});
