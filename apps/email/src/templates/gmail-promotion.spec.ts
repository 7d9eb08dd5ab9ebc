import { promotionIssues, promotionJsonLd, promotionScript, type PromotionCard } from './gmail-promotion.js';

const card = (overrides: Partial<PromotionCard> = {}): PromotionCard => ({
  url: 'https://shop.example/item',
  image: { url: 'https://img.example/item.png', width: 600, height: 600 },
  ...overrides,
});

describe('Gmail promotion rules', () => {
  it('accepts a full, valid promotion and writes it as schema.org JSON-LD', () => {
    const promotion = {
      logoUrl: 'https://brand.example/logo.png',
      offer: { description: '20% off everything', discountCode: 'SAVE20', availabilityStarts: new Date('2027-01-01T00:00:00Z'), availabilityEnds: new Date('2027-01-31T00:00:00Z') },
      cards: [card({ headline: 'Boots', price: 80, priceCurrency: 'EUR', discountValue: 20 }), card({ position: 5 })],
    };
    expect(promotionIssues(promotion)).toEqual([]);
    expect(promotionJsonLd(promotion)).toEqual([
      { '@context': 'http://schema.org/', '@type': 'Organization', logo: 'https://brand.example/logo.png' },
      {
        '@context': 'http://schema.org/',
        '@type': 'DiscountOffer',
        description: '20% off everything',
        discountCode: 'SAVE20',
        availabilityStarts: '2027-01-01T00:00:00.000Z',
        availabilityEnds: '2027-01-31T00:00:00.000Z',
      },
      { '@context': 'http://schema.org/', '@type': 'PromotionCard', image: 'https://img.example/item.png', url: 'https://shop.example/item', headline: 'Boots', price: 80, priceCurrency: 'EUR', discountValue: 20, position: '1' },
      { '@context': 'http://schema.org/', '@type': 'PromotionCard', image: 'https://img.example/item.png', url: 'https://shop.example/item', position: '5' },
    ]);
  });

  it.each([
    [{ logoUrl: 'http://brand.example/logo.png' }, 'logoUrl', /https/],
    [{ offer: {} }, 'offer', /description or a discountCode/],
    [{ offer: { description: 'x'.repeat(61) } }, 'offer.description', /60/],
    [{ offer: { description: 'd', availabilityStarts: new Date('2027-02-01'), availabilityEnds: new Date('2027-01-01') } }, 'offer.availabilityEnds', /after availabilityStarts/],
    [{ cards: Array.from({ length: 11 }, (_, index) => card({ position: (index % 10) + 1 })) }, 'cards', /at most 10/],
    [{ cards: [card({ image: { url: 'https://i.example/a.png', width: 100, height: 100 } })] }, 'cards[0].image.width', /at least 256/],
    [{ cards: [card({ image: { url: 'https://i.example/a.png', width: 600, height: 0 } })] }, 'cards[0].image.height', /at least 1/],
    [{ cards: [card({ image: { url: 'https://i.example/a.png', width: 600, height: 400 } })] }, 'cards[0].image', /aspect ratio 1.50:1/],
    [{ cards: [card(), card({ image: { url: 'https://i.example/b.png', width: 764, height: 400 } })] }, 'cards[1].image', /1.91:1 differs from cards\[0\] \(1:1\)/],
    [{ cards: [card({ url: 'javascript:alert(1)' })] }, 'cards[0].url', /https/],
    [{ cards: [card({ price: 10 })] }, 'cards[0].priceCurrency', /required/],
    [{ cards: [card({ price: 10, priceCurrency: 'euro' })] }, 'cards[0].priceCurrency', /ISO 4217/],
    [{ cards: [card({ price: -1, priceCurrency: 'EUR' })] }, 'cards[0].price', /zero or more/],
    [{ cards: [card({ position: 2 }), card()] }, 'cards[1].position', /2 is also cards\[0\]/],
    [{ cards: [card({ position: 11 })] }, 'cards[0].position', /1 to 10/],
  ])('refuses %j naming the field', (promotion, field, message) => {
    const issues = promotionIssues(promotion);
    expect(issues[0]?.field).toBe(field);
    expect(issues[0]?.message).toMatch(message);
  });

  it('escapes < so no value can close the script element', () => {
    expect(promotionScript({ offer: { description: '</script><script>alert(1)</script>' } })).not.toContain('</script><script>');
    expect(promotionScript({ cards: [] })).toBe('');
  });
});
