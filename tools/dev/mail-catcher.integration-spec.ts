import nodemailer from 'nodemailer';
import { startMailCatcher, type MailCatcher } from './mail-catcher.mjs';

/** npm start's mail catcher: real SMTP in, a web inbox out. */
describe('mail catcher', () => {
  let sut: MailCatcher;
  beforeAll(async () => {
    sut = await startMailCatcher({ smtpPort: 0, webPort: 0 });
  });
  afterAll(() => sut?.stop());

  it('keeps what it receives and lists it newest first, escaped, with the HTML sandboxed', async () => {
    const transport = nodemailer.createTransport(sut.smtpUrl);
    await transport.sendMail({ from: 'news@brand.test', to: 'ann@example.test', subject: 'First', text: 'one' });
    await transport.sendMail({ from: 'news@brand.test', to: 'bob@example.test', subject: '<script>x</script>', html: '<p>Hi <b>Bob</b></p><script>alert(1)</script>' });
    transport.close();
    const list = (await (await fetch(`${sut.webUrl}messages.json`)).json()) as { id: number; to: string[]; subject: string }[];
    expect(list.map(({ to, subject }) => ({ to, subject }))).toEqual([
      { to: ['bob@example.test'], subject: '<script>x</script>' },
      { to: ['ann@example.test'], subject: 'First' },
    ]);
    const inbox = await (await fetch(sut.webUrl)).text();
    expect(inbox).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(inbox).not.toContain('<script>x');
    const html = await fetch(`${sut.webUrl}messages/${list[0]!.id}/html`);
    expect(html.headers.get('content-security-policy')).toMatch(/^sandbox/);
    expect(await html.text()).toContain('<p>Hi <b>Bob</b></p>');
    expect((await fetch(`${sut.webUrl}messages/999`)).status).toBe(404);
  });

  it('takes another port when the default one is in use', async () => {
    const second = await startMailCatcher({ smtpPort: Number(new URL(sut.smtpUrl).port), webPort: Number(new URL(sut.webUrl).port) });
    try {
      expect(second.smtpUrl).not.toBe(sut.smtpUrl);
      expect(second.webUrl).not.toBe(sut.webUrl);
    } finally {
      await second.stop();
    }
  });
});
