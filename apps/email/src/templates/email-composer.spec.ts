import { ComposeError, ContentError, EmailComposer, personalizationScope, type EmailContent } from './email-composer.js';

const LIMITS = { EMAIL_RENDER_LIMIT_MS: 250, EMAIL_RENDER_MEMORY_LIMIT: 10_000_000 };

const MJML = `<mjml><mj-head><mj-style>.greeting { color: #ff0000; }</mj-style></mj-head><mj-body><mj-section><mj-column>
<mj-text css-class="greeting"><h1>Hi {{ profile.first_name | default: "there" }}</h1></mj-text>
<mj-text>Your plan: {{ profile.plan }}{% if event.total %}, order total {{ event.total }}{% endif %}</mj-text>
<mj-button href="https://shop.example/p?u={{ profile.id }}">Shop now</mj-button>
</mj-column></mj-section></mj-body></mjml>`;

const content = (overrides: Partial<EmailContent> = {}): EmailContent => ({
  format: 'MJML',
  subject: 'Hello {{ profile.first_name | default: "there" }}',
  preheader: 'Deals for {{ profile.plan }}',
  fromName: null,
  fromAddress: null,
  replyTo: null,
  body: MJML,
  textBody: null,
  promotion: null,
  ...overrides,
});

const scope = (properties: Record<string, unknown>, event: Record<string, unknown> = {}) =>
  personalizationScope({ profile: { id: 'p-1', email: 'ann@example.com', name: 'Ann', timeZone: null, locale: null, properties }, event });

describe('EmailComposer', () => {
  const sut = new EmailComposer(LIMITS);

  it('compiles MJML with CSS inlined and renders a personalized, escaped copy with a derived text part', async () => {
    const layout = await sut.compile(content());
    expect(layout.compiledHtml).toMatch(/style="[^"]*color:\s*#ff0000/);
    const email = sut.compose({ key: 'a:1', subject: 'Hello {{ profile.first_name | default: "there" }}', preheader: 'Deals for {{ profile.plan }}', ...layout }, scope({ first_name: '<Ann & Bo>', plan: 'pro' }, { total: 42 }));
    expect(email.subject).toBe('Hello <Ann & Bo>');
    expect(email.html).toContain('Hi &lt;Ann &amp; Bo&gt;');
    expect(email.html).toContain('https://shop.example/p?u=p-1');
    expect(email.html).toMatch(/<body[^>]*><div style="display:none[^"]*">Deals for pro<\/div>/);
    expect(email.text).toContain('Hi <Ann & Bo>');
    expect(email.text).toContain('Your plan: pro, order total 42');
    expect(email.text).toContain('Shop now [https://shop.example/p?u=p-1]');
    expect(email.text).not.toContain('{{');
  });

  it('uses defaults, and refuses a variable the data lacks', async () => {
    const layout = await sut.compile(content());
    const version = { key: 'b:1', subject: 'Hello {{ profile.first_name | default: "there" }}', preheader: null, ...layout };
    expect(sut.compose(version, scope({ plan: 'free' })).subject).toBe('Hello there');
    expect(() => sut.compose(version, scope({}))).toThrow(ComposeError);
    expect(() => sut.compose(version, scope({}))).toThrow(/body: undefined variable: profile.plan/);
    expect(sut.compose(version, scope({}), { strict: false }).text).toContain('Your plan: ');
  });

  it('keeps data out of headers and prototypes', async () => {
    const layout = await sut.compile(content({ format: 'HTML', body: '<p>{{ profile.constructor }}|{{ profile.name }}</p>' }));
    const email = sut.compose({ key: 'c:1', subject: '{{ profile.name }}', preheader: null, ...layout }, scope({ name: 'x' }), { strict: false });
    expect(email.html).toContain('<p>|Ann</p>');
    const injected = sut.compose({ key: 'c:2', subject: 'Hi {{ event.name }}', preheader: null, ...layout }, scope({}, { name: 'A\r\nBcc: x@example.com' }), { strict: false });
    expect(injected.subject).toBe('Hi A Bcc: x@example.com');
  });

  it('writes the text part from textBody when given, unescaped', async () => {
    const layout = await sut.compile(content({ textBody: 'Hi {{ profile.name }} & co' }));
    expect(sut.compose({ key: 'd:1', subject: 's', preheader: null, ...layout }, scope({ plan: 'x' })).text).toBe('Hi Ann & co');
  });

  it.each([
    [{ subject: 'Hi {% if x %}' }, 'subject', /does not parse as Liquid/],
    [{ preheader: '{{ a | nosuchfilter }}' }, 'preheader', /undefined filter: nosuchfilter/],
    [{ body: '<mjml><mj-body><mj-section><mj-column><mj-text>{% for %}</mj-text></mj-column></mj-section></mj-body></mjml>' }, 'body', /Liquid/],
    [{ body: '<mjml><mj-body><mj-nonsense></mj-nonsense></mj-body></mjml>' }, 'body', /is not valid MJML/],
    [{ textBody: '{% include "secrets" %}{% endif %}' }, 'textBody', /Liquid/],
    [{ promotion: { cards: [{ url: 'http://insecure.example', image: { url: 'https://img.example/a.png', width: 600, height: 600 } }] } }, 'promotion.cards[0].url', /https/],
  ])('names the part that does not compile: %j', async (overrides, field, message) => {
    const error = await sut.compile(content(overrides as Partial<EmailContent>)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContentError);
    expect((error as ContentError).field).toBe(field);
    expect((error as ContentError).message).toMatch(message);
  });

  it('stops a runaway render', async () => {
    const strict = new EmailComposer({ EMAIL_RENDER_LIMIT_MS: 20, EMAIL_RENDER_MEMORY_LIMIT: 10_000 });
    const layout = await strict.compile(content({ format: 'HTML', body: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' }));
    expect(() => strict.compose({ key: 'e:1', subject: 's', preheader: null, ...layout }, scope({}))).toThrow(/limit exceeded/);
  });

  it('puts the Gmail annotations in the head', async () => {
    const promotion = { logoUrl: 'https://brand.example/logo.png', offer: { description: '20% off', discountCode: 'SAVE20' }, cards: [] };
    const layout = await sut.compile(content({ promotion }));
    const head = /<head>([\s\S]*)<\/head>/.exec(layout.compiledHtml)![1]!;
    const json = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/.exec(head)![1]!);
    expect(json).toEqual([
      { '@context': 'http://schema.org/', '@type': 'Organization', logo: 'https://brand.example/logo.png' },
      { '@context': 'http://schema.org/', '@type': 'DiscountOffer', description: '20% off', discountCode: 'SAVE20' },
    ]);
  });
});
