import { startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import type { CallService } from '../../src/calls/call.service.js';
import type { CallUpdates } from '../../src/presence/call-updates.js';
import type { ConnectedClients } from '../../src/presence/connected-clients.js';

export { publishableKeyCaller, secretKeyCaller } from '@boomerang/platform/testing';

/** Imported lazily: the app's modules read their config when imported, after the test set it. */
export const loadVoiceAppModule = () => import('../../src/app.module.js').then((m) => m.AppModule);

/** The voice subgraph with the seams of the CALLS domain the specs drive. */
export interface CallsHarness {
  sut: TestSubgraph;
  calls: CallService;
  presence: ConnectedClients;
  updates: CallUpdates;
}

/** Boots voice on a throw-away schema and subject prefix; close it with `sut.close()`. */
export async function startCallsHarness(): Promise<CallsHarness> {
  const sut = await startTestSubgraph(loadVoiceAppModule, { service: 'voice' });
  try {
    return {
      sut,
      calls: sut.app.get((await import('../../src/calls/call.service.js')).CallService),
      presence: sut.app.get((await import('../../src/presence/connected-clients.js')).ConnectedClients),
      updates: sut.app.get((await import('../../src/presence/call-updates.js')).CallUpdates),
    };
  } catch (error) {
    await sut.close();
    throw error;
  }
}
