import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { ComposeError, type ComposableVersion } from '../templates/recipient-copy.js';
import { TrackingTokens } from '../tracking/tracking-tokens.js';
import type { RenderRequest } from './message-render.js';
import { RenderThreads, RenderThreadStopped } from './render-threads.js';

const SECRET = 'render-threads-spec-secret';
const CONFIG = { EMAIL_RENDER_THREADS: 1, EMAIL_RENDER_THREAD_HEAP_MB: 64, EMAIL_RENDER_LIMIT_MS: 250, EMAIL_RENDER_MEMORY_LIMIT: 10_000_000, EMAIL_BOUNCE_DOMAIN: 'bounces.example' };

const version = (compiledHtml: string, key = randomUUID()): ComposableVersion => ({ key, subject: 'Hi {{ profile.name }}', preheader: null, compiledHtml, textTemplate: 'Hi {{ profile.name }}' });

const request = (compiledHtml: string, overrides: Partial<RenderRequest & { version: ComposableVersion }> = {}): RenderRequest & { version: ComposableVersion } => {
  const sendId = randomUUID();
  return {
    sendId,
    version: version(compiledHtml),
    scope: { profile: { name: 'Ann' }, event: {}, campaign: {} },
    trackingBaseUrl: 'https://t.brand.example',
    messageId: `<${sendId}@mail.test>`,
    from: { name: 'Brand', address: 'news@brand.example' },
    to: 'ann@example.com',
    replyTo: null,
    ...overrides,
  };
};

/** A body that allocates until the thread's heap runs out (Liquid's memory limit set out of its way). */
const EXHAUSTING = '<p>{% for i in (1..50000000) %}{{ profile.name }}{{ i }}{% endfor %}</p>';

describe('RenderThreads', () => {
  const started: RenderThreads[] = [];
  const threads = (config: Partial<typeof CONFIG> = {}) => {
    const sut = new RenderThreads({ ...CONFIG, ...config }, { INTERNAL_SIGNING_SECRET: SECRET });
    started.push(sut);
    return sut;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((sut) => sut.onApplicationShutdown()));
  });

  it('renders the whole message in a thread: personalized, links tracked with signed tokens, List-Unsubscribe, one-click', async () => {
    const sut = threads();
    const asked = request('<html><body><p>Hello {{ profile.name }}</p><a href="https://shop.example/cart?x=1&amp;y=2">Cart</a></body></html>');
    const rendered = await sut.render(asked);

    expect(rendered.links).toEqual(['https://shop.example/cart?x=1&y=2']);
    const parsed = await simpleParser(Buffer.from(rendered.raw));
    expect(parsed.subject).toBe('Hi Ann');
    expect(parsed.messageId).toBe(asked.messageId);
    expect(parsed.headers.get('x-boomerang-send-id')).toBe(asked.sendId);
    const tokens = new TrackingTokens(SECRET);
    const click = /https:\/\/t\.brand\.example\/t\/c\/([\w-]+)/.exec(parsed.html as string)![1]!;
    expect(tokens.verify(click, 'click')).toEqual({ kind: 'click', sendId: asked.sendId, n: 0 });
    expect(parsed.html).toMatch(new RegExp(`https://t\\.brand\\.example/t/o/[\\w-]+`));
    const head = Buffer.from(rendered.raw).toString('utf8').split('\r\n\r\n')[0]!.replace(/\r\n(?=[ \t])/g, '');
    const unsubscribe = /^List-Unsubscribe: <https:\/\/t\.brand\.example\/t\/u\/([\w-]+)>, <mailto:u\+\1@bounces\.example\?subject=unsubscribe>$/m.exec(head);
    expect(head).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect(tokens.verify(unsubscribe![1]!, 'unsubscribe')).toEqual({ kind: 'unsubscribe', sendId: asked.sendId, n: 0 });
    expect(parsed.text).toContain('Hi Ann');
  });

  it('renders many sends of one version, each with its own data (the version crosses to the thread once)', async () => {
    const sut = threads();
    const shared = version('<p>{{ profile.name }} {{ event.n }}</p>');
    const renders = await Promise.all([1, 2, 3].map((n) => sut.render({ ...request(''), version: shared, scope: { profile: { name: 'Bo' }, event: { n }, campaign: {} } })));
    const bodies = await Promise.all(renders.map(async ({ raw }) => (await simpleParser(Buffer.from(raw))).html));
    expect(bodies.map((html) => /Bo \d/.exec(html as string)?.[0])).toEqual(['Bo 1', 'Bo 2', 'Bo 3']);
  });

  it('sends a version again when its thread has dropped it (a thread keeps 1,000)', async () => {
    const sut = threads();
    const first = version('<p>first {{ profile.name }}</p>');
    await sut.render({ ...request(''), version: first });
    await Promise.all(Array.from({ length: 1_000 }, (_, n) => sut.render(request(`<p>${n}</p>`))));
    const again = await sut.render({ ...request(''), version: first });
    expect(Buffer.from(again.raw).toString()).toContain('first Ann');
  }, 30_000);

  it('keeps strict variables and Liquid’s time and memory limits inside the thread', async () => {
    const sut = threads({ EMAIL_RENDER_LIMIT_MS: 50 });
    const missing = await sut.render(request('<p>{{ profile.plan }}</p>')).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ComposeError);
    expect((missing as ComposeError).part).toBe('body');
    expect((missing as ComposeError).message).toMatch(/undefined variable: profile\.plan/);
    expect((missing as ComposeError).timedOut).toBe(false);

    const slow = await sut.render(request('<p>{% for i in (1..100000) %}{% for j in (1..1000) %}{{ j }}{% endfor %}{% endfor %}</p>')).catch((error: unknown) => error);
    expect(slow).toBeInstanceOf(ComposeError);
    expect((slow as ComposeError).message).toMatch(/limit/i);
    // The time limit alone is one a busy machine can reach: the dispatcher defers such a send rather than failing it.
    expect((slow as ComposeError).timedOut).toBe(true);

    const large = await threads({ EMAIL_RENDER_MEMORY_LIMIT: 1_000 })
      .render(request('<p>{% for i in (1..100000) %}{{ i }}{% endfor %}</p>'))
      .catch((error: unknown) => error);
    expect(large).toBeInstanceOf(ComposeError);
    expect((large as ComposeError).message).toMatch(/limit/i);
    expect((large as ComposeError).timedOut).toBe(false);
  });

  it('a thread that dies fails every render waiting on it with RenderThreadStopped, and the next render gets a new thread', async () => {
    const sut = threads({ EMAIL_RENDER_THREAD_HEAP_MB: 16, EMAIL_RENDER_LIMIT_MS: 60_000, EMAIL_RENDER_MEMORY_LIMIT: Number.MAX_SAFE_INTEGER });
    const waiting = [request(EXHAUSTING), request('<p>a</p>'), request('<p>b</p>')].map((asked) => sut.render(asked).then(() => 'rendered', (error: unknown) => error));
    const outcomes = await Promise.all(waiting);
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(RenderThreadStopped);

    const after = await sut.render(request('<p>{{ profile.name }} again</p>'));
    expect(Buffer.from(after.raw).toString()).toContain('Ann again');
  }, 60_000);

  it('after shutdown renders fail at once and no thread is left running', async () => {
    const sut = threads();
    await sut.render(request('<p>x</p>'));
    await sut.onApplicationShutdown();
    await expect(sut.render(request('<p>y</p>'))).rejects.toBeInstanceOf(RenderThreadStopped);
  });
});
