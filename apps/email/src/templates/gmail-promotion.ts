/**
 * Gmail Promotions tab annotations: the sender's logo, a deal (DiscountOffer) and a product
 * carousel (PromotionCards), written as schema.org JSON-LD in the message's `<head>`. Not in
 * schema-dts, so typed here.
 */
export interface PromotionImage {
  url: string;
  /** Pixels, as the image is served. */
  width: number;
  height: number;
}

export interface DiscountOffer {
  description?: string | null;
  discountCode?: string | null;
  availabilityStarts?: Date | null;
  availabilityEnds?: Date | null;
}

export interface PromotionCard {
  image: PromotionImage;
  url: string;
  headline?: string | null;
  price?: number | null;
  priceCurrency?: string | null;
  discountValue?: number | null;
  /** 1-based place in the carousel; default: the card's place in the list. */
  position?: number | null;
}

export interface GmailPromotion {
  logoUrl?: string | null;
  offer?: DiscountOffer | null;
  cards?: PromotionCard[] | null;
}

export interface PromotionIssue {
  /** Path below the promotion, e.g. `cards[2].image.width`. */
  field: string;
  message: string;
}

export const MAX_PROMOTION_CARDS = 10;
const MIN_IMAGE_WIDTH = 256;
/** The carousel's aspect ratios (width / height): landscape 1.91:1, square 1:1, portrait 4:5. */
const ASPECT_RATIOS = [
  { name: '1.91:1', value: 1.91 },
  { name: '1:1', value: 1 },
  { name: '4:5', value: 0.8 },
];
const ASPECT_TOLERANCE = 0.02;
const MAX_TEXT = { description: 60, discountCode: 30, headline: 90 };

/** Every way `promotion` breaks Gmail's rules, each naming its field; empty when it is valid. */
export function promotionIssues(promotion: GmailPromotion): PromotionIssue[] {
  const issues: PromotionIssue[] = [];
  const issue = (field: string, message: string) => issues.push({ field, message });
  if (promotion.logoUrl != null && !isHttpsUrl(promotion.logoUrl)) issue('logoUrl', 'must be an https URL');

  const offer = promotion.offer;
  if (offer) {
    if (!offer.description && !offer.discountCode) issue('offer', 'needs a description or a discountCode');
    if (offer.description && offer.description.length > MAX_TEXT.description) issue('offer.description', `must be at most ${MAX_TEXT.description} characters`);
    if (offer.discountCode && offer.discountCode.length > MAX_TEXT.discountCode) issue('offer.discountCode', `must be at most ${MAX_TEXT.discountCode} characters`);
    if (offer.availabilityStarts && offer.availabilityEnds && offer.availabilityEnds.getTime() <= offer.availabilityStarts.getTime()) {
      issue('offer.availabilityEnds', 'must be after availabilityStarts');
    }
  }

  const cards = promotion.cards ?? [];
  if (cards.length > MAX_PROMOTION_CARDS) issue('cards', `must have at most ${MAX_PROMOTION_CARDS} cards`);
  const positions = new Map<number, number>();
  let firstRatio: { index: number; name: string } | undefined;
  for (const [index, card] of cards.entries()) {
    const at = `cards[${index}]`;
    if (!isHttpsUrl(card.url)) issue(`${at}.url`, 'must be an https URL');
    if (!isHttpsUrl(card.image.url)) issue(`${at}.image.url`, 'must be an https URL');
    const { width, height } = card.image;
    if (!Number.isInteger(width) || width < MIN_IMAGE_WIDTH) issue(`${at}.image.width`, `must be a whole number of pixels, at least ${MIN_IMAGE_WIDTH}`);
    if (!Number.isInteger(height) || height < 1) issue(`${at}.image.height`, 'must be a whole number of pixels, at least 1');
    else if (Number.isInteger(width) && width >= MIN_IMAGE_WIDTH) {
      const ratio = aspectRatioOf(width, height);
      if (!ratio) issue(`${at}.image`, `aspect ratio ${(width / height).toFixed(2)}:1 is not one of ${ASPECT_RATIOS.map((r) => r.name).join(', ')}`);
      else if (!firstRatio) firstRatio = { index, name: ratio };
      else if (ratio !== firstRatio.name) issue(`${at}.image`, `aspect ratio ${ratio} differs from cards[${firstRatio.index}] (${firstRatio.name}): a carousel's images share one`);
    }
    if (card.headline != null && card.headline.length > MAX_TEXT.headline) issue(`${at}.headline`, `must be at most ${MAX_TEXT.headline} characters`);
    if (card.price != null && !(card.price >= 0)) issue(`${at}.price`, 'must be zero or more');
    if (card.discountValue != null && !(card.discountValue >= 0)) issue(`${at}.discountValue`, 'must be zero or more');
    if ((card.price != null || card.discountValue != null) && !card.priceCurrency) issue(`${at}.priceCurrency`, 'is required with a price or discountValue');
    if (card.priceCurrency != null && !/^[A-Z]{3}$/.test(card.priceCurrency)) issue(`${at}.priceCurrency`, 'must be an ISO 4217 code (three capital letters)');
    const position = card.position ?? index + 1;
    if (!Number.isInteger(position) || position < 1 || position > MAX_PROMOTION_CARDS) issue(`${at}.position`, `must be a whole number from 1 to ${MAX_PROMOTION_CARDS}`);
    else if (positions.has(position)) issue(`${at}.position`, `${position} is also cards[${positions.get(position)}]'s`);
    else positions.set(position, index);
  }
  return issues;
}

/** The schema.org JSON-LD Gmail reads: an array of Organization, DiscountOffer and PromotionCard items. Empty when there is nothing to annotate. */
export function promotionJsonLd(promotion: GmailPromotion | null | undefined): Record<string, unknown>[] {
  if (!promotion) return [];
  const items: Record<string, unknown>[] = [];
  const context = 'http://schema.org/';
  if (promotion.logoUrl) items.push({ '@context': context, '@type': 'Organization', logo: promotion.logoUrl });
  const offer = promotion.offer;
  if (offer) {
    items.push(
      withoutNulls({
        '@context': context,
        '@type': 'DiscountOffer',
        description: offer.description,
        discountCode: offer.discountCode,
        availabilityStarts: offer.availabilityStarts?.toISOString(),
        availabilityEnds: offer.availabilityEnds?.toISOString(),
      }),
    );
  }
  for (const [index, card] of (promotion.cards ?? []).entries()) {
    items.push(
      withoutNulls({
        '@context': context,
        '@type': 'PromotionCard',
        image: card.image.url,
        url: card.url,
        headline: card.headline,
        price: card.price,
        priceCurrency: card.priceCurrency,
        discountValue: card.discountValue,
        position: String(card.position ?? index + 1),
      }),
    );
  }
  return items;
}

/** A `<script>` element for the `<head>`; `<` is escaped so no value can close the script. */
export function promotionScript(promotion: GmailPromotion | null | undefined): string {
  const items = promotionJsonLd(promotion);
  if (items.length === 0) return '';
  return `<script type="application/ld+json">${JSON.stringify(items).replace(/</g, '\\u003c')}</script>`;
}

function aspectRatioOf(width: number, height: number): string | undefined {
  const ratio = width / height;
  return ASPECT_RATIOS.find((candidate) => Math.abs(ratio - candidate.value) / candidate.value <= ASPECT_TOLERANCE)?.name;
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

function withoutNulls(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value != null));
}
