import type { GmailPromotion } from './gmail-promotion.js';

/** A promotion as JSONB holds it: dates as ISO strings. */
export type StoredPromotion = Omit<GmailPromotion, 'offer'> & {
  offer?: { description?: string | null; discountCode?: string | null; availabilityStarts?: string | null; availabilityEnds?: string | null } | null;
};

export function storePromotion(promotion: GmailPromotion | null | undefined): StoredPromotion | null {
  if (!promotion) return null;
  const { offer, ...rest } = promotion;
  return {
    ...rest,
    offer: offer ? { ...offer, availabilityStarts: offer.availabilityStarts?.toISOString() ?? null, availabilityEnds: offer.availabilityEnds?.toISOString() ?? null } : null,
  };
}

export function loadPromotion(stored: StoredPromotion | null): GmailPromotion | null {
  if (!stored) return null;
  const { offer, ...rest } = stored;
  return {
    ...rest,
    offer: offer
      ? {
          ...offer,
          availabilityStarts: offer.availabilityStarts ? new Date(offer.availabilityStarts) : null,
          availabilityEnds: offer.availabilityEnds ? new Date(offer.availabilityEnds) : null,
        }
      : null,
  };
}
