import 'reflect-metadata';
import { bootstrapSubgraph } from '@boomerang/platform/subgraph';
import { AppModule } from './app.module.js';

await bootstrapSubgraph(AppModule, 'segments');
