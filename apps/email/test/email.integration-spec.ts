import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import type { CallerContext } from '@boomerang/platform/auth';
import { startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

const secretOf = (projectId: string): CallerContext => ({ projectId, keyId: null, scope: 'secret' as const });
const publishableOf = (projectId: string): CallerContext => ({ projectId, keyId: null, scope: 'publishable' as const });

const WELCOME = {
  name: 'Welcome',
  subject: 'Welcome, {{user.firstName}}!',
  htmlBody: '<h1>Hi {{user.firstName}}</h1>{{#if items}}<ul>{{#each items}}<li>{{this}}</li>{{/each}}</ul>{{/if}}',
  textBody: 'Hi {{user.firstName}}',
};
const TEMPLATE_FIELDS = `id name subject htmlBody textBody createdAt updatedAt`;

interface TemplateView {
  id: string;
  name: string;
  subject: string;
  htmlBody: string;
  textBody: string | null;
}

describe('email subgraph', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'email' });
  });
  afterAll(() => sut?.close());

  const create = (projectId: string, input: Record<string, unknown>, caller = secretOf(projectId)) =>
    sut.query<{ createEmailTemplate: TemplateView }>(
      `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`,
      { input },
      caller,
    );
  const createTemplate = async (projectId: string, input: Record<string, unknown> = WELCOME) => {
    const result = await create(projectId, input);
    expect(result.errors).toBeUndefined();
    return result.data!.createEmailTemplate;
  };
  const render = (projectId: string, id: string, data?: unknown) =>
    sut.query<{ renderEmailTemplate: { subject: string; html: string; text: string | null } }>(
      `query($id: ID!, $data: JSON) { renderEmailTemplate(id: $id, data: $data) { subject html text } }`,
      { id, data },
      secretOf(projectId),
    );

  it('refuses requests that the gateway did not sign', async () => {
    const result = await sut.query(`{ emailTemplates { id } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('creates a template that reads back unchanged', async () => {
    const projectId = randomUUID();
    const created = await createTemplate(projectId);
    expect(created).toMatchObject(WELCOME);
    const read = await sut.query<{ emailTemplate: TemplateView }>(`query($id: ID!) { emailTemplate(id: $id) { ${TEMPLATE_FIELDS} } }`, { id: created.id }, secretOf(projectId));
    expect(read.errors).toBeUndefined();
    expect(read.data!.emailTemplate).toEqual(created);
    const withoutText = await createTemplate(projectId, { name: 'HTML only', subject: 'Hello', htmlBody: '<p>Hello</p>' });
    expect(withoutText.textBody).toBeNull();
  });

  it('renders with handlebars, escaping HTML in the HTML body only', async () => {
    const projectId = randomUUID();
    const { id } = await createTemplate(projectId);
    const result = await render(projectId, id, { user: { firstName: '<Ann & Bo>' }, items: ['a<b', 'c'] });
    expect(result.errors).toBeUndefined();
    expect(result.data!.renderEmailTemplate).toEqual({
      subject: 'Welcome, <Ann & Bo>!',
      html: '<h1>Hi &lt;Ann &amp; Bo&gt;</h1><ul><li>a&lt;b</li><li>c</li></ul>',
      text: 'Hi <Ann & Bo>',
    });

    const injected = await render(projectId, id, { user: { firstName: 'Ann\r\nBcc: x@example.com' } });
    expect(injected.data!.renderEmailTemplate.subject).toBe('Welcome, Ann Bcc: x@example.com!');

    const empty = await render(projectId, id);
    expect(empty.data!.renderEmailTemplate).toEqual({ subject: 'Welcome, !', html: '<h1>Hi </h1>', text: 'Hi ' });

    const notAnObject = await render(projectId, id, ['a']);
    expect(notAnObject.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'data' });
  });

  it('keeps projects apart, by id, in lists and when rendering', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const ofA = await createTemplate(a, { ...WELCOME, name: 'A template' });
    await createTemplate(b, { ...WELCOME, name: 'B template' });
    const byId = await sut.query(`query($id: ID!) { emailTemplate(id: $id) { id } }`, { id: ofA.id }, secretOf(b));
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await sut.query<{ emailTemplates: { name: string }[] }>(`{ emailTemplates { name } }`, {}, secretOf(b));
    expect(list.data!.emailTemplates.map((template) => template.name)).toEqual(['B template']);
    expect((await render(b, ofA.id, {})).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('names the field that does not compile or is invalid, and writes nothing', async () => {
    const projectId = randomUUID();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...WELCOME, subject: 'Hi {{#if name}}' }, 'input.subject', /does not compile: Parse error/],
      [{ ...WELCOME, htmlBody: '<p>{{name}</p>' }, 'input.htmlBody', /does not compile: Parse error/],
      [{ ...WELCOME, htmlBody: '<p>{{shout name}}</p>' }, 'input.htmlBody', /unknown helper shout/],
      [{ ...WELCOME, textBody: '{{> footer}}' }, 'input.textBody', /partials/],
      [{ ...WELCOME, name: '' }, 'input.name', /name should not be empty/],
      [{ ...WELCOME, subject: 'x'.repeat(501) }, 'input.subject', /500/],
    ];
    for (const [input, field, message] of cases) {
      const result = await create(projectId, input);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(result.errors?.[0]?.message).toContain(field);
      expect(result.errors?.[0]?.message).toMatch(message);
    }
    const list = await sut.query<{ emailTemplates: unknown[] }>(`{ emailTemplates { id } }`, {}, secretOf(projectId));
    expect(list.data!.emailTemplates).toEqual([]);
  });

  it('refuses publishable keys', async () => {
    const projectId = randomUUID();
    const created = await create(projectId, WELCOME, publishableOf(projectId));
    expect(created.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
    const list = await sut.query<{ emailTemplates: unknown[] }>(`{ emailTemplates { id } }`, {}, secretOf(projectId));
    expect(list.data!.emailTemplates).toEqual([]);
    const read = await sut.query(`{ emailTemplates { id } }`, {}, publishableOf(projectId));
    expect(read.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('resolves entity references in one batch, scoped to the caller project', async () => {
    const a = randomUUID();
    const first = await createTemplate(a, { ...WELCOME, name: 'Ref one' });
    const second = await createTemplate(a, { ...WELCOME, name: 'Ref two' });
    const foreign = await createTemplate(randomUUID(), { ...WELCOME, name: 'Elsewhere' });
    const { EmailTemplateService } = await import('../src/templates/email-template.service.js');
    const findMany = jest.spyOn(sut.app.get(EmailTemplateService), 'findMany');
    try {
      const result = await sut.query<{ _entities: ({ id: string; name: string } | null)[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on EmailTemplate { id name } } }`,
        { representations: [first, second, foreign].map(({ id }) => ({ __typename: 'EmailTemplate', id })) },
        secretOf(a),
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([{ id: first.id, name: 'Ref one' }, { id: second.id, name: 'Ref two' }, null]);
      expect(findMany).toHaveBeenCalledTimes(1);
    } finally {
      findMany.mockRestore();
    }
  });

  it('announces created templates through the outbox', async () => {
    const projectId = randomUUID();
    const created = await createTemplate(projectId, { ...WELCOME, name: 'Announced' });
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('email');
    const stored = await sut.messaging.jsm.streams.getMessage(stream, { last_by_subj: `${sut.prefix}email.${projectId}.template.created` });
    expect(stored!.json()).toMatchObject({ projectId, templateId: created.id, name: 'Announced' });
  });
});
