export declare const root: string;
export declare const DEFAULT_PORTS: Record<string, number>;
export declare function subgraphNames(workspace?: string): string[];
export declare function freePort(): Promise<number>;
export interface ServiceExitReport {
  name: string;
  code: number | null;
  signal: string | null;
  /** The service's last output lines, oldest first. */
  lastLines: string[];
  /** Set when it is restarted (restart on): in how long. */
  restartInMs?: number;
}
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Up this long, a service's next restart starts over at initialDelayMs. */
  stableMs: number;
}
export interface LaunchedPlatform {
  gatewayUrl: string;
  children: Map<string, unknown>;
  stop(): Promise<void>;
  stopService(name: string, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: string | null }>;
  startService(name: string): Promise<void>;
  pauseService(name: string): void;
  resumeService(name: string): void;
}
export declare function startPlatform(options: {
  env: Record<string, string | undefined>;
  ports?: Record<string, number>;
  onLine?: (name: string, line: string) => void;
  timeoutMs?: number;
  restart?: boolean | Partial<RestartPolicy>;
  onExit?: (report: ServiceExitReport) => void;
  onRestarted?: (name: string, restarts: number) => void;
}): Promise<LaunchedPlatform>;
