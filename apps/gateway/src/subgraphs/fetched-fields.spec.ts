import { parse } from 'graphql';
import { fetchedFields } from './fetched-fields.js';

describe('fetchedFields', () => {
  it('names the root fields of a root fetch by their response keys', () => {
    const document = parse('query Q__profiles__0 { profiles(first: 1) { edges { node { id } } } mine: project { id } __typename }');
    expect(fetchedFields(document, {})).toEqual([
      { coordinate: 'Query.profiles', path: ['profiles'] },
      { coordinate: 'Query.project', path: ['mine'] },
    ]);
  });

  it('names each field of each representation of an entity fetch, by type', () => {
    const document = parse(`query Q__segments__1($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Profile { __typename segments { name } recent: events(first: 1) { edges { node { name } } } }
        ... on Campaign { audience { id } }
      }
    }`);
    const representations = [
      { __typename: 'Profile', id: 'a' },
      { __typename: 'Campaign', id: 'c' },
      { __typename: 'Profile', id: 'b' },
    ];
    expect(fetchedFields(document, { representations })).toEqual([
      { coordinate: 'Profile.segments', path: ['_entities', 0, 'segments'] },
      { coordinate: 'Profile.events', path: ['_entities', 0, 'recent'] },
      { coordinate: 'Campaign.audience', path: ['_entities', 1, 'audience'] },
      { coordinate: 'Profile.segments', path: ['_entities', 2, 'segments'] },
      { coordinate: 'Profile.events', path: ['_entities', 2, 'recent'] },
    ]);
  });

  it('follows named fragments, once each', () => {
    const document = parse(`query Q($representations: [_Any!]!) {
      _entities(representations: $representations) { ...ProfileParts ... on Profile { ...ProfileParts } }
    }
    fragment ProfileParts on Profile { name createdAt }`);
    expect(fetchedFields(document, { representations: [{ __typename: 'Profile', id: 'a' }] })).toEqual([
      { coordinate: 'Profile.name', path: ['_entities', 0, 'name'] },
      { coordinate: 'Profile.createdAt', path: ['_entities', 0, 'createdAt'] },
    ]);
  });
});
