export declare const root: string;
export declare const DEFAULT_PORTS: Record<string, number>;
export declare function subgraphNames(workspace?: string): string[];
export declare function freePort(): Promise<number>;
export declare function startPlatform(options: {
  env: Record<string, string | undefined>;
  ports?: Record<string, number>;
  onLine?: (name: string, line: string) => void;
  timeoutMs?: number;
}): Promise<{ gatewayUrl: string; children: Map<string, unknown>; stop(): Promise<void> }>;
