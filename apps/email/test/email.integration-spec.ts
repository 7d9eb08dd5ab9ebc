import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { ProfileChanged, ProfileDeleted, type MessageContract, type MessageOf, type ProfileSnapshot } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import { eventually, publishableKeyCaller, secretKeyCaller, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

const WELCOME = {
  name: 'Welcome',
  subject: 'Welcome, {{ user.firstName }}!',
  htmlBody: '<h1>Hi {{ user.firstName }}</h1>{% if items %}<ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>{% endif %}',
  textBody: 'Hi {{ user.firstName }}',
};
const MJML_BODY = `<mjml><mj-head><mj-style>.hello { color: #123456; }</mj-style></mj-head><mj-body><mj-section><mj-column>
<mj-text css-class="hello">Hello {{ profile.first_name | default: "there" }}, {{ profile.plan }} member</mj-text>
<mj-button href="https://shop.example/deals?p={{ profile.id }}">See deals</mj-button></mj-column></mj-section></mj-body></mjml>`;
const VERSION_FIELDS = `version format subject preheader fromName fromAddress replyTo htmlBody textBody createdAt
  promotion { logoUrl offer { description discountCode availabilityStarts availabilityEnds } cards { url headline price priceCurrency discountValue position image { url width height } } }`;
const TEMPLATE_FIELDS = `id name updatedAt ${VERSION_FIELDS}`;
const RENDERED = `subject preheader html text`;

interface TemplateView {
  id: string;
  name: string;
  version: number;
  subject: string;
  htmlBody: string;
  textBody: string | null;
  promotion: Record<string, unknown> | null;
}
interface Rendered {
  subject: string;
  preheader: string | null;
  html: string;
  text: string;
}

const snapshot = (profileId: string, overrides: Partial<ProfileSnapshot> & { properties?: Record<string, unknown> } = {}): Omit<ProfileSnapshot, never> => ({
  profileId,
  externalId: null,
  properties: {},
  attributes: {
    email: true,
    phone: null,
    name: 'Ann Example',
    timeZone: 'Europe/Paris',
    locale: 'fr-FR',
    createdAt: '2026-01-01T00:00:00.000Z',
    emailSubscribed: true,
    smsSubscribed: null,
    pushSubscribed: null,
    whatsappSubscribed: null,
    phoneDnd: null,
  },
  contact: { email: 'ann@example.com', phone: null },
  updatedAt: new Date().toISOString(),
  ...overrides,
});

describe('email subgraph: templates', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'email' });
    // profiles' stream, as its owner would declare it.
    await sut.messaging.jsm.streams.add(domainStreamConfig(sut.messaging.subjects, 'profiles'));
  });
  afterAll(() => sut?.close());

  const create = (projectId: string, input: Record<string, unknown>, caller = secretKeyCaller(projectId)) =>
    sut.query<{ createEmailTemplate: TemplateView }>(`mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`, { input }, caller);
  const createTemplate = async (projectId: string, input: Record<string, unknown> = WELCOME) => {
    const result = await create(projectId, input);
    expect(result.errors).toBeUndefined();
    return result.data!.createEmailTemplate;
  };
  const update = (projectId: string, id: string, input: Record<string, unknown>) =>
    sut.query<{ updateEmailTemplate: TemplateView }>(`mutation($id: ID!, $input: UpdateEmailTemplateInput!) { updateEmailTemplate(id: $id, input: $input) { ${TEMPLATE_FIELDS} } }`, { id, input }, secretKeyCaller(projectId));
  const render = (projectId: string, id: string, data?: unknown, version?: number) =>
    sut.query<{ renderEmailTemplate: Rendered }>(`query($id: ID!, $data: JSON, $version: Int) { renderEmailTemplate(id: $id, data: $data, version: $version) { ${RENDERED} } }`, { id, data, version }, secretKeyCaller(projectId));
  const preview = (projectId: string, templateId: string, profileId: string, extra: Record<string, unknown> = {}) =>
    sut.query<{ previewEmail: Rendered }>(
      `query($t: ID!, $p: ID!, $event: JSON, $campaign: JSON) { previewEmail(templateId: $t, profileId: $p, event: $event, campaign: $campaign) { ${RENDERED} } }`,
      { t: templateId, p: profileId, ...extra },
      secretKeyCaller(projectId),
    );
  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), { msgID: randomUUID() });

  it('refuses requests that the gateway did not sign, and publishable keys', async () => {
    expect((await sut.query(`{ emailTemplates { id } }`)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const projectId = randomUUID();
    const created = await create(projectId, WELCOME, publishableKeyCaller(projectId));
    expect(created.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
    expect((await sut.query(`{ emailTemplates { id } }`, {}, publishableKeyCaller(projectId))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('creates a template that reads back unchanged, as version 1', async () => {
    const projectId = randomUUID();
    const created = await createTemplate(projectId);
    expect(created).toMatchObject({ ...WELCOME, version: 1, format: 'HTML', preheader: null, promotion: null });
    const read = await sut.query<{ emailTemplate: TemplateView }>(`query($id: ID!) { emailTemplate(id: $id) { ${TEMPLATE_FIELDS} } }`, { id: created.id }, secretKeyCaller(projectId));
    expect(read.data!.emailTemplate).toEqual(created);
  });

  it('renders with Liquid: escaped in HTML, not in the subject or text part; missing variables are errors', async () => {
    const projectId = randomUUID();
    const { id } = await createTemplate(projectId);
    const result = await render(projectId, id, { user: { firstName: '<Ann & Bo>' }, items: ['a<b', 'c'] });
    expect(result.errors).toBeUndefined();
    expect(result.data!.renderEmailTemplate).toEqual({
      subject: 'Welcome, <Ann & Bo>!',
      preheader: null,
      html: '<h1>Hi &lt;Ann &amp; Bo&gt;</h1><ul><li>a&lt;b</li><li>c</li></ul>',
      text: 'Hi <Ann & Bo>',
    });
    const injected = await render(projectId, id, { user: { firstName: 'Ann\r\nBcc: x@example.com' } });
    expect(injected.data!.renderEmailTemplate.subject).toBe('Welcome, Ann Bcc: x@example.com!');
    const missing = await render(projectId, id, {});
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'data' });
    expect(missing.errors?.[0]?.message).toMatch(/subject: undefined variable: user,/);
    expect((await render(projectId, id, ['a'])).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'data' });
  });

  it('keeps every version: an edit adds one, and earlier versions still render as they were', async () => {
    const projectId = randomUUID();
    const { id } = await createTemplate(projectId);
    const edited = await update(projectId, id, { subject: 'Second: {{ user.firstName }}', preheader: 'Read me' });
    expect(edited.errors).toBeUndefined();
    expect(edited.data!.updateEmailTemplate).toMatchObject({ version: 2, subject: 'Second: {{ user.firstName }}', preheader: 'Read me', htmlBody: WELCOME.htmlBody, name: 'Welcome' });
    const versions = await sut.query<{ emailTemplate: { versions: { version: number; subject: string }[] } }>(
      `query($id: ID!) { emailTemplate(id: $id) { versions { version subject } } }`,
      { id },
      secretKeyCaller(projectId),
    );
    expect(versions.data!.emailTemplate.versions).toEqual([
      { version: 2, subject: 'Second: {{ user.firstName }}' },
      { version: 1, subject: WELCOME.subject },
    ]);
    const data = { user: { firstName: 'Ann' } };
    expect((await render(projectId, id, data)).data!.renderEmailTemplate.subject).toBe('Second: Ann');
    expect((await render(projectId, id, data, 1)).data!.renderEmailTemplate.subject).toBe('Welcome, Ann!');
    expect((await render(projectId, id, data, 7)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'version' });
    expect((await update(projectId, id, { subject: null })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.subject' });
    expect((await update(projectId, randomUUID(), { subject: 'x' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('previews an MJML template for a real profile, from the ProfileChanged messages email keeps', async () => {
    const projectId = randomUUID();
    const profileId = randomUUID();
    const template = await createTemplate(projectId, { name: 'Deals', format: 'MJML', subject: 'Deals for {{ profile.name }}', preheader: 'Only for {{ profile.plan }}', htmlBody: MJML_BODY });
    expect((await preview(projectId, template.id, profileId)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'profileId' });

    const older = new Date(Date.now() - 60_000).toISOString();
    await publish(ProfileChanged, projectId, snapshot(profileId, { properties: { plan: 'gold', first_name: 'Ann' } }));
    await publish(ProfileChanged, projectId, snapshot(profileId, { properties: { plan: 'stale' }, updatedAt: older }));
    const result = await eventually(async () => {
      const answer = await preview(projectId, template.id, profileId);
      return answer.data ? answer : undefined;
    });
    const email = result!.data!.previewEmail;
    expect(email.subject).toBe('Deals for Ann Example');
    expect(email.preheader).toBe('Only for gold');
    expect(email.html).toMatch(/style="[^"]*color:\s*#123456/);
    expect(email.html).toContain(`https://shop.example/deals?p=${profileId}`);
    expect(email.text).toContain('Hello Ann, gold member');
    expect(email.text).toContain(`See deals [https://shop.example/deals?p=${profileId}]`);

    const otherId = randomUUID();
    await publish(ProfileChanged, projectId, snapshot(otherId, { properties: {} }));
    const missing = await eventually(async () => {
      const answer = await preview(projectId, template.id, otherId);
      return answer.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT' ? answer : undefined;
    });
    expect(missing!.errors?.[0]?.extensions).toMatchObject({ field: 'profileId' });
    expect(missing!.errors?.[0]?.message).toMatch(/undefined variable: profile.plan/);

    await publish(ProfileDeleted, projectId, { profileId });
    await eventually(async () => (await preview(projectId, template.id, profileId)).errors?.[0]?.extensions?.code === 'NOT_FOUND');
    // A late change does not bring an erased profile back.
    await publish(ProfileChanged, projectId, snapshot(profileId, { properties: { plan: 'gold' }, updatedAt: new Date(Date.now() + 60_000).toISOString() }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await preview(projectId, template.id, profileId)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('stores Gmail annotations and refuses ones that break Gmail\'s rules, naming the field', async () => {
    const projectId = randomUUID();
    const promotion = {
      logoUrl: 'https://brand.example/logo.png',
      offer: { description: '20% off', discountCode: 'SAVE20', availabilityStarts: '2027-01-01T00:00:00.000Z', availabilityEnds: '2027-01-31T00:00:00.000Z' },
      cards: [{ url: 'https://shop.example/boots', headline: 'Boots', price: 80, priceCurrency: 'EUR', discountValue: 20, position: 1, image: { url: 'https://img.example/boots.png', width: 600, height: 600 } }],
    };
    const created = await createTemplate(projectId, { ...WELCOME, promotion });
    expect(created.promotion).toEqual(promotion);
    const rendered = await render(projectId, created.id, { user: { firstName: 'A' } });
    expect(rendered.data!.renderEmailTemplate.html).toContain('<script type="application/ld+json">');

    const bad = await create(projectId, { ...WELCOME, promotion: { ...promotion, offer: { ...promotion.offer, availabilityEnds: '2026-12-01T00:00:00.000Z' } } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_GMAIL_PROMOTION', field: 'input.promotion.offer.availabilityEnds' });
    const wrongRatio = await create(projectId, { ...WELCOME, promotion: { cards: [{ ...promotion.cards[0], image: { url: 'https://img.example/a.png', width: 600, height: 300 } }] } });
    expect(wrongRatio.errors?.[0]?.extensions).toMatchObject({ field: 'input.promotion.cards[0].image' });
    const tooMany = await create(projectId, { ...WELCOME, promotion: { cards: Array.from({ length: 11 }, () => promotion.cards[0]) } });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.promotion.cards' });
  });

  it('names the field that does not compile or is invalid, and writes nothing', async () => {
    const projectId = randomUUID();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...WELCOME, subject: 'Hi {% if name %}' }, 'input.subject', /does not parse as Liquid/],
      [{ ...WELCOME, htmlBody: '<p>{{ name | shout }}</p>' }, 'input.htmlBody', /undefined filter: shout/],
      [{ ...WELCOME, format: 'MJML', htmlBody: '<mjml><mj-body><mj-bogus/></mj-body></mjml>' }, 'input.htmlBody', /not valid MJML/],
      [{ ...WELCOME, textBody: '{% for %}' }, 'input.textBody', /Liquid/],
      [{ ...WELCOME, name: '' }, 'input.name', /name should not be empty/],
      [{ ...WELCOME, subject: 'x'.repeat(501) }, 'input.subject', /500/],
      [{ ...WELCOME, fromAddress: 'not-an-address' }, 'input.fromAddress', /email/],
    ];
    for (const [input, field, message] of cases) {
      const result = await create(projectId, input);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(result.errors?.[0]?.message).toContain(field);
      expect(result.errors?.[0]?.message).toMatch(message);
    }
    const list = await sut.query<{ emailTemplates: unknown[] }>(`{ emailTemplates { id } }`, {}, secretKeyCaller(projectId));
    expect(list.data!.emailTemplates).toEqual([]);
  });

  it('keeps projects apart, by id, in lists and when rendering', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const ofA = await createTemplate(a, { ...WELCOME, name: 'A template' });
    await createTemplate(b, { ...WELCOME, name: 'B template' });
    expect((await sut.query(`query($id: ID!) { emailTemplate(id: $id) { id } }`, { id: ofA.id }, secretKeyCaller(b))).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await sut.query<{ emailTemplates: { name: string }[] }>(`{ emailTemplates { name } }`, {}, secretKeyCaller(b));
    expect(list.data!.emailTemplates.map((template) => template.name)).toEqual(['B template']);
    expect((await render(b, ofA.id, {})).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await update(b, ofA.id, { name: 'stolen' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('resolves entity references in one batch, scoped to the caller project', async () => {
    const a = randomUUID();
    const first = await createTemplate(a, { ...WELCOME, name: 'Ref one' });
    const second = await createTemplate(a, { ...WELCOME, name: 'Ref two' });
    const foreign = await createTemplate(randomUUID(), { ...WELCOME, name: 'Elsewhere' });
    const { EmailTemplateService } = await import('../src/templates/email-template.service.js');
    const findMany = jest.spyOn(sut.app.get(EmailTemplateService), 'findMany');
    try {
      const result = await sut.query<{ _entities: ({ id: string; name: string; subject: string } | null)[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on EmailTemplate { id name subject } } }`,
        { representations: [first, second, foreign].map(({ id }) => ({ __typename: 'EmailTemplate', id })) },
        secretKeyCaller(a),
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([{ id: first.id, name: 'Ref one', subject: WELCOME.subject }, { id: second.id, name: 'Ref two', subject: WELCOME.subject }, null]);
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
