// The /v1/batch client of bench:analytics:rollups, run as a worker thread so that its CPU is not taken
// from the events app's event loop in the bench's main thread (bench:ingest's client is its own process).
// Each message it gets is a burst: prepared batches (each its events' JSON array) to post from
// `clients` kept-alive connections, as bench:ingest does (node:http, sentAt stamped at sending). A batch
// answered 503 (the API's "retry later") is posted again after RETRY_AFTER_MS, as an SDK retries it, and
// counted; any other refusal or a lost connection ends the burst with an error. It answers the burst's
// seconds (first post to last answer), its own CPU, the batches posted and the retries.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { threadCpuSeconds } from './support.js';

export interface BatchClientOptions {
  port: number;
  /** `Basic <write key:>` of the project the bursts go to. */
  authorization: string;
  clients: number;
}

/** `cpuSeconds`: this thread's CPU over the burst (the client's own, apart from the app's). */
export type BatchClientAnswer = { seconds: number; cpuSeconds: number; batches: number; retried: number } | { error: string };

const RETRY_AFTER_MS = 100;
const BATCH_HEAD = Buffer.from('{"batch":');
const SENT_AT_KEY = Buffer.from(',"sentAt":"');
const BATCH_TAIL = Buffer.from('"}');

const { port, authorization, clients } = workerData as BatchClientOptions;
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });

/** POSTs one /v1/batch body (written in parts, not joined); resolves with the status once the response is read. */
function send(body: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const length = body.reduce((sum, part) => sum + part.length, 0);
    const request = http.request(
      { host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': length, authorization } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.cork();
    for (const part of body) request.write(part);
    request.end();
  });
}

async function burst(batches: readonly Uint8Array[]): Promise<BatchClientAnswer> {
  let next = 0;
  let retried = 0;
  const cpuBefore = threadCpuSeconds();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < batches.length) {
        const json = batches[next++]!;
        for (;;) {
          const status = await send([BATCH_HEAD, Buffer.from(json.buffer, json.byteOffset, json.byteLength), SENT_AT_KEY, Buffer.from(new Date().toISOString()), BATCH_TAIL]);
          if (status >= 200 && status < 300) break;
          if (status !== 503) throw new Error(`/v1/batch answered ${status}`);
          retried++;
          await sleep(RETRY_AFTER_MS);
        }
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: threadCpuSeconds() - cpuBefore, batches: batches.length, retried };
}

parentPort!.on('message', (batches: Uint8Array[]) => {
  burst(batches).then(
    (answer) => parentPort!.postMessage(answer),
    (error: unknown) => parentPort!.postMessage({ error: String(error) }),
  );
});
