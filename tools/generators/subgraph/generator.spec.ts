import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { SUBGRAPH_PORTS } from '../../supergraph/subgraphs.js';
import subgraphGenerator, { pluralize, REGISTRIES } from './generator.js';

/** A virtual workspace holding the real files the generator registers services in. */
function workspaceTree(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  for (const path of Object.values(REGISTRIES)) tree.write(path, readFileSync(join(workspaceRoot, path), 'utf8'));
  return tree;
}

describe('subgraph generator', () => {
  let sut: Tree;
  beforeEach(async () => {
    sut = workspaceTree();
    await subgraphGenerator(sut, { name: 'loyalty', port: 4109, entity: 'gift-card' });
  });

  it('creates the app in the house layout with nothing left unrendered', () => {
    const files = [
      'README.md',
      'project.json',
      'src/main.ts',
      'src/app.module.ts',
      'src/gift-cards/gift-card.entity.ts',
      'src/gift-cards/gift-card.model.ts',
      'src/gift-cards/gift-card.resolver.ts',
      'src/gift-cards/gift-card.service.ts',
      'src/gift-cards/gift-card.errors.ts',
      'src/gift-cards/dto/create-gift-card.input.ts',
      'test/loyalty.integration-spec.ts',
    ];
    for (const file of files) expect(sut.exists(`apps/loyalty/${file}`)).toBe(true);
    expect(sut.children('apps/loyalty/src/migrations')).toEqual([expect.stringMatching(/^\d{13}-create-gift-cards\.ts$/)]);
    for (const file of files) expect(sut.read(`apps/loyalty/${file}`, 'utf-8')).not.toMatch(/<%|%>|__\w+__/);

    const appModule = sut.read('apps/loyalty/src/app.module.ts', 'utf-8')!;
    expect(appModule).toContain(`service: 'loyalty',\n      defaultPort: 4109,`);
    expect(appModule).toMatch(/LOYALTY_MIGRATIONS = \[MessagingTables1763900000000, OutboxBatches1763900009000, CreateGiftCards\d{13}\]/);
    expect(JSON.parse(sut.read('apps/loyalty/project.json', 'utf-8')!)).toMatchObject({
      name: 'loyalty',
      root: 'apps/loyalty',
      tags: ['scope:loyalty', 'type:app'],
    });
  });

  it('registers the service: port table, NATS domain, created contract and docker-compose', () => {
    expect(sut.read(REGISTRIES.ports, 'utf-8')).toMatch(/\d,\n {2}loyalty: 4109,\n\};/);
    expect(sut.read(REGISTRIES.domains, 'utf-8')).toMatch(/', 'loyalty'\] as const;/);
    expect(sut.read(REGISTRIES.messages, 'utf-8')).toContain(
      "export const GiftCardCreated = defineMessage(\n  'loyalty',\n  'gift_card.created',",
    );
    const compose = sut.read(REGISTRIES.compose, 'utf-8')!;
    expect(compose).toContain('  loyalty:\n    <<: *subgraph\n    build: { context: ., args: { APP: loyalty } }\n    environment: { <<: *app-env, PORT: "4109" }\n');
    expect(compose).toMatch(/_URL: .*\n {6}SUBGRAPH_LOYALTY_URL: http:\/\/loyalty:4109\/graphql\n/);
    expect(compose).toMatch(/[a-z]: \{ condition: service_healthy \}\n {6}loyalty: \{ condition: service_healthy \}\n/);
    expect(JSON.parse(sut.read(REGISTRIES.e2eProject, 'utf-8')!).implicitDependencies).toContain('loyalty');
  });

  it('refuses an existing service, a taken port and a contract name already in use', async () => {
    await expect(subgraphGenerator(sut, { name: 'loyalty', port: 4110 })).rejects.toThrow('apps/loyalty already exists');
    await expect(subgraphGenerator(workspaceTree(), { name: 'rewards', port: 4101 })).rejects.toThrow('port 4101 is already used by workspace');
    await expect(subgraphGenerator(workspaceTree(), { name: 'rewards', entity: 'profile' })).rejects.toThrow('already exports ProfileCreated');
  });

  it('picks the next free port when none is given', async () => {
    const tree = workspaceTree();
    await subgraphGenerator(tree, { name: 'rewards' });
    expect(tree.read('apps/rewards/src/app.module.ts', 'utf-8')).toContain(`defaultPort: ${Math.max(...Object.values(SUBGRAPH_PORTS)) + 1},`);
  });
});

describe('pluralize', () => {
  it.each([
    ['reward', 'rewards'],
    ['loyalty', 'loyalties'],
    ['day', 'days'],
    ['address', 'addresses'],
    ['gift-card', 'gift-cards'],
  ])('%s -> %s', (word, plural) => expect(pluralize(word)).toBe(plural));
});
