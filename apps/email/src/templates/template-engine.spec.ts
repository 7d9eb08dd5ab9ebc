import { TemplateEngine, TemplateSyntaxError } from './template-engine.js';

describe('TemplateEngine', () => {
  const sut = new TemplateEngine();

  it('accepts templates using data and built-in helpers', () => {
    expect(() => sut.check('Hi {{user.name}}{{#if vip}}, VIP{{/if}}{{#each items}} {{this}}{{/each}}')).not.toThrow();
  });

  it.each([
    ['{{#if x}}unclosed', /Parse error on line 1/],
    ['{{shout name}}', /unknown helper shout/],
    ['{{> footer}}', /partials/],
    ['{{name}', /Parse error/],
  ])('refuses %s', (source, message) => {
    expect(() => sut.check(source)).toThrow(TemplateSyntaxError);
    expect(() => sut.check(source)).toThrow(message);
  });

  it('escapes values in HTML and not in text', () => {
    const data = { name: '<b>Ann & co</b>' };
    expect(sut.render('<p>{{name}}</p>', data, 'html')).toBe('<p>&lt;b&gt;Ann &amp; co&lt;/b&gt;</p>');
    expect(sut.render('Hi {{name}}', data, 'text')).toBe('Hi <b>Ann & co</b>');
  });

  it('does not expose prototype properties', () => {
    expect(sut.render('{{constructor.name}}', {}, 'text')).toBe('');
  });
});
