import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A private Postfix (Debian's, `/usr/sbin/postfix`) for tests: its own configuration, queue and
 * log under a temporary directory, its own ports on 127.0.0.1, its own destination domain and a
 * transport map entry for the test's return-path domain only. So it neither touches nor needs the
 * machine's Postfix (port 25, /etc/postfix): one already running is left alone, and `stop()` ends
 * only this instance. Two smtpd services: `acceptPort` takes any local recipient and bounces the
 * unknown ones afterwards (an asynchronous DSN), `rejectPort` refuses them at RCPT (550 5.1.1).
 */
export class PostfixInstance {
  acceptPort = 0;
  rejectPort = 0;
  private dir = '';
  private started = false;

  /** `domain`: the local domain it delivers (and bounces) for; `returnPath`: domain → `host:port` its DSNs go to. */
  constructor(
    readonly domain: string,
    private readonly returnPath: { domain: string; port: number },
  ) {}

  static installed(): boolean {
    return existsSync('/usr/sbin/postfix');
  }

  /** Installs Debian's postfix when missing (needs root and apt), unconfigured and not started. */
  static async install(): Promise<void> {
    if (PostfixInstance.installed()) return;
    await run('sh', ['-c', 'echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections'], { timeout: 10_000 });
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // A fresh machine may have no package lists yet (provision updates them only when it installs something).
    await run('apt-get', ['install', '-y', '-qq', 'postfix'], { env, timeout: 240_000 }).catch(async () => {
      await run('apt-get', ['update', '-qq'], { env, timeout: 240_000 });
      await run('apt-get', ['install', '-y', '-qq', 'postfix'], { env, timeout: 240_000 });
    });
  }

  /** Whether the machine's own Postfix (not this test's) is running: reported, never changed. */
  static async systemInstanceRunning(): Promise<boolean> {
    return run('postfix', ['status']).then(
      () => true,
      () => false,
    );
  }

  async start(): Promise<this> {
    this.dir = await mkdtemp(join(tmpdir(), 'boomerang-postfix-'));
    const etc = join(this.dir, 'etc');
    // Postfix's daemons run as the postfix user: they must reach the queue and own the data directory.
    await chmod(this.dir, 0o755);
    await mkdir(etc);
    await mkdir(join(this.dir, 'spool'));
    await mkdir(join(this.dir, 'lib'));
    const { stdout: uid } = await run('id', ['-u', 'postfix']);
    await chown(join(this.dir, 'lib'), Number(uid.trim()), -1);
    [this.acceptPort, this.rejectPort] = [await freePort(), await freePort()];
    const main = {
      compatibility_level: '3.6',
      queue_directory: join(this.dir, 'spool'),
      data_directory: join(this.dir, 'lib'),
      meta_directory: '/etc/postfix',
      maillog_file: join(this.dir, 'maillog'),
      maillog_file_prefixes: this.dir,
      myhostname: `mx.${this.domain}`,
      mydomain: this.domain,
      myorigin: this.domain,
      mydestination: this.domain,
      inet_interfaces: 'loopback-only',
      inet_protocols: 'ipv4',
      mynetworks: '127.0.0.0/8',
      alias_maps: '',
      alias_database: '',
      transport_maps: `texthash:${join(etc, 'transport')}`,
      default_transport: 'error:no outbound mail from a test instance',
      smtputf8_enable: 'no',
      biff: 'no',
      // A DSN the listener defers goes out again soon, not in minutes.
      queue_run_delay: '1s',
      minimal_backoff_time: '1s',
      maximal_backoff_time: '2s',
    };
    await writeFile(join(etc, 'main.cf'), Object.entries(main).map(([key, value]) => `${key} = ${value}\n`).join(''));
    await writeFile(join(etc, 'transport'), `${this.returnPath.domain} smtp:[127.0.0.1]:${this.returnPath.port}\n`);
    await writeFile(join(etc, 'master.cf'), masterCf(this.acceptPort, this.rejectPort));
    await this.postfix('start');
    this.started = true;
    return this;
  }

  /** What this instance logged (for a failing test's message). */
  log(): Promise<string> {
    return readFile(join(this.dir, 'maillog'), 'utf8').catch(() => '');
  }

  async stop(): Promise<void> {
    if (this.started) await this.postfix('stop').catch(() => this.postfix('abort'));
    this.started = false;
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  private async postfix(command: string): Promise<void> {
    await run('postfix', ['-c', join(this.dir, 'etc'), command], { timeout: 30_000 }).catch(async (error: Error) => {
      // postfix(1) logs its reasons to the instance's log, not to a pipe.
      throw new Error(`postfix ${command} failed: ${error.message}\n${await this.log()}`);
    });
  }
}

/** Debian's services, none chrooted (the temporary queue has no chroot tree), with the two test listeners. */
function masterCf(acceptPort: number, rejectPort: number): string {
  const services = [
    `127.0.0.1:${acceptPort} inet n - n - - smtpd -o local_recipient_maps=`,
    `127.0.0.1:${rejectPort} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'local unix - n n - - local',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  return services.join('\n') + '\n';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
