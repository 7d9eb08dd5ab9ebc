export declare const POSTGRES_PORT: number;
export declare const NATS_PORT: number;
export declare const DEFAULT_CHROMIUM: string;
export declare const MEDIASOUP_WORKER: string;
export declare class ProvisionError extends Error {}
export declare function reachable(host: string, port: number, timeoutMs?: number): Promise<boolean>;
export declare function onPath(binary: string, extraDirs?: string[]): string | undefined;
export declare function natsServerBinary(): string | undefined;

/** This machine as provisioning reads and changes it. */
export interface Machine {
  readonly dryRun: boolean;
  say(message: string): void;
  exists(path: string): boolean;
  reachable(port: number): Promise<boolean>;
  which(binary: string): string | undefined;
  postgresVersions(): string[];
  canBecomeRoot(): boolean;
  run(command: string, args: string[], options?: { root?: boolean; quiet?: boolean; env?: Record<string, string> }): boolean;
  startDetached(command: string, args: string[], logFile: string): void;
  waitFor(port: number, seconds: number): Promise<boolean>;
  aptInstall(packages: string[]): boolean;
}
type Env = Record<string, string | undefined>;
export declare function say(message: string): void;
export declare function localMachine(options?: { dryRun?: boolean; say?: (message: string) => void }): Machine;
export declare function ensurePostgres(machine: Machine, env?: Env): Promise<string>;
export declare function ensureNats(machine: Machine, env?: Env): Promise<string>;
export declare function ensureChromium(machine: Machine, env?: Env): Promise<string>;
export declare function ensureMediasoupWorker(machine: Machine, env?: Env): Promise<string>;
export declare function needsOf(jestArgs: string[]): { services: boolean; browser: boolean; mediasoup: boolean };
export declare function provisionForTests(machine: Machine, options?: { jestArgs?: string[]; env?: Env }): Promise<Record<string, string>>;
