// The people, places and products the bench data set is made of.

export interface City {
  name: string;
  timeZone: string;
  /** Standard offset from UTC in minutes (sessions happen in local daytime; DST is ignored here). */
  offset: number;
}

export interface Country {
  code: string;
  /** Share of profiles. */
  weight: number;
  currency: string;
  /** A typical order value in `currency` (Charged amounts spread around it). */
  orderValue: number;
  dialCode: string;
  locales: readonly string[];
  cities: readonly City[];
}

const city = (name: string, timeZone: string, offsetHours: number): City => ({ name, timeZone, offset: Math.round(offsetHours * 60) });

/** 43 time zones; India-heavy, as the retention platforms the seed talks about are. */
export const COUNTRIES: readonly Country[] = [
  {
    code: 'IN', weight: 38, currency: 'INR', orderValue: 900, dialCode: '+91', locales: ['en-IN', 'hi-IN', 'ta-IN', 'bn-IN'],
    cities: [city('Mumbai', 'Asia/Kolkata', 5.5), city('Bengaluru', 'Asia/Kolkata', 5.5), city('Delhi', 'Asia/Kolkata', 5.5), city('Chennai', 'Asia/Kolkata', 5.5), city('Kolkata', 'Asia/Kolkata', 5.5), city('Pune', 'Asia/Kolkata', 5.5)],
  },
  {
    code: 'US', weight: 16, currency: 'USD', orderValue: 60, dialCode: '+1', locales: ['en-US', 'es-US'],
    cities: [city('New York', 'America/New_York', -5), city('Chicago', 'America/Chicago', -6), city('Denver', 'America/Denver', -7), city('Phoenix', 'America/Phoenix', -7), city('Los Angeles', 'America/Los_Angeles', -8), city('Anchorage', 'America/Anchorage', -9), city('Honolulu', 'Pacific/Honolulu', -10)],
  },
  {
    code: 'ID', weight: 7, currency: 'IDR', orderValue: 250000, dialCode: '+62', locales: ['id-ID'],
    cities: [city('Jakarta', 'Asia/Jakarta', 7), city('Makassar', 'Asia/Makassar', 8), city('Jayapura', 'Asia/Jayapura', 9)],
  },
  {
    code: 'BR', weight: 6, currency: 'BRL', orderValue: 180, dialCode: '+55', locales: ['pt-BR'],
    cities: [city('São Paulo', 'America/Sao_Paulo', -3), city('Manaus', 'America/Manaus', -4), city('Recife', 'America/Recife', -3)],
  },
  {
    code: 'GB', weight: 5, currency: 'GBP', orderValue: 45, dialCode: '+44', locales: ['en-GB'],
    cities: [city('London', 'Europe/London', 0), city('Manchester', 'Europe/London', 0)],
  },
  {
    code: 'DE', weight: 4, currency: 'EUR', orderValue: 55, dialCode: '+49', locales: ['de-DE', 'en-DE'],
    cities: [city('Berlin', 'Europe/Berlin', 1), city('Munich', 'Europe/Berlin', 1)],
  },
  { code: 'FR', weight: 3, currency: 'EUR', orderValue: 50, dialCode: '+33', locales: ['fr-FR'], cities: [city('Paris', 'Europe/Paris', 1), city('Lyon', 'Europe/Paris', 1)] },
  { code: 'ES', weight: 2, currency: 'EUR', orderValue: 45, dialCode: '+34', locales: ['es-ES'], cities: [city('Madrid', 'Europe/Madrid', 1), city('Las Palmas', 'Atlantic/Canary', 0)] },
  { code: 'AE', weight: 3, currency: 'AED', orderValue: 220, dialCode: '+971', locales: ['en-AE', 'ar-AE'], cities: [city('Dubai', 'Asia/Dubai', 4)] },
  { code: 'SA', weight: 2, currency: 'SAR', orderValue: 210, dialCode: '+966', locales: ['ar-SA'], cities: [city('Riyadh', 'Asia/Riyadh', 3)] },
  {
    code: 'AU', weight: 2, currency: 'AUD', orderValue: 85, dialCode: '+61', locales: ['en-AU'],
    cities: [city('Sydney', 'Australia/Sydney', 10), city('Perth', 'Australia/Perth', 8), city('Adelaide', 'Australia/Adelaide', 9.5), city('Brisbane', 'Australia/Brisbane', 10)],
  },
  { code: 'SG', weight: 2, currency: 'SGD', orderValue: 70, dialCode: '+65', locales: ['en-SG', 'zh-SG'], cities: [city('Singapore', 'Asia/Singapore', 8)] },
  { code: 'PH', weight: 2, currency: 'PHP', orderValue: 1800, dialCode: '+63', locales: ['en-PH', 'fil-PH'], cities: [city('Manila', 'Asia/Manila', 8)] },
  { code: 'NG', weight: 2, currency: 'NGN', orderValue: 25000, dialCode: '+234', locales: ['en-NG'], cities: [city('Lagos', 'Africa/Lagos', 1)] },
  { code: 'KE', weight: 1, currency: 'KES', orderValue: 4500, dialCode: '+254', locales: ['en-KE', 'sw-KE'], cities: [city('Nairobi', 'Africa/Nairobi', 3)] },
  { code: 'ZA', weight: 1, currency: 'ZAR', orderValue: 650, dialCode: '+27', locales: ['en-ZA'], cities: [city('Johannesburg', 'Africa/Johannesburg', 2)] },
  { code: 'MX', weight: 2, currency: 'MXN', orderValue: 750, dialCode: '+52', locales: ['es-MX'], cities: [city('Mexico City', 'America/Mexico_City', -6), city('Tijuana', 'America/Tijuana', -8)] },
  { code: 'CA', weight: 1, currency: 'CAD', orderValue: 70, dialCode: '+1', locales: ['en-CA', 'fr-CA'], cities: [city('Toronto', 'America/Toronto', -5), city('Vancouver', 'America/Vancouver', -8), city('Halifax', 'America/Halifax', -4), city("St. John's", 'America/St_Johns', -3.5)] },
  { code: 'JP', weight: 1, currency: 'JPY', orderValue: 6500, dialCode: '+81', locales: ['ja-JP'], cities: [city('Tokyo', 'Asia/Tokyo', 9)] },
  { code: 'NZ', weight: 0.5, currency: 'NZD', orderValue: 90, dialCode: '+64', locales: ['en-NZ'], cities: [city('Auckland', 'Pacific/Auckland', 12)] },
  { code: 'NP', weight: 0.5, currency: 'NPR', orderValue: 1500, dialCode: '+977', locales: ['ne-NP'], cities: [city('Kathmandu', 'Asia/Kathmandu', 5.75)] },
  { code: 'BD', weight: 1, currency: 'BDT', orderValue: 1200, dialCode: '+880', locales: ['bn-BD'], cities: [city('Dhaka', 'Asia/Dhaka', 6)] },
  { code: 'AR', weight: 1, currency: 'ARS', orderValue: 35000, dialCode: '+54', locales: ['es-AR'], cities: [city('Buenos Aires', 'America/Argentina/Buenos_Aires', -3)] },
  { code: 'EG', weight: 1, currency: 'EGP', orderValue: 1500, dialCode: '+20', locales: ['ar-EG'], cities: [city('Cairo', 'Africa/Cairo', 2)] },
  { code: 'PT', weight: 0.5, currency: 'EUR', orderValue: 40, dialCode: '+351', locales: ['pt-PT'], cities: [city('Lisbon', 'Europe/Lisbon', 0), city('Ponta Delgada', 'Atlantic/Azores', -1)] },
];

export const FIRST_NAMES = [
  'Aarav', 'Priya', 'Rohan', 'Ananya', 'Vikram', 'Isha', 'Arjun', 'Meera', 'Kabir', 'Diya', 'James', 'Emma', 'Liam', 'Olivia', 'Noah', 'Sophia',
  'Lucas', 'Mia', 'Mateus', 'Ana', 'Budi', 'Siti', 'Hannah', 'Felix', 'Chloe', 'Omar', 'Layla', 'Chidi', 'Amara', 'Yuki', 'Kenji', 'Sofia',
];
export const LAST_NAMES = [
  'Sharma', 'Patel', 'Iyer', 'Reddy', 'Gupta', 'Nair', 'Singh', 'Das', 'Smith', 'Johnson', 'Brown', 'Garcia', 'Silva', 'Santos', 'Wijaya',
  'Müller', 'Schmidt', 'Martin', 'Dubois', 'Khan', 'Haddad', 'Okafor', 'Mwangi', 'Tanaka', 'Sato', 'López', 'Rossi', 'Kowalski',
];
export const EMAIL_DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'rediffmail.com', 'proton.me', 'example.com'];

export const PLANS = ['free', 'plus', 'premium', 'gold'] as const;
export const PLAN_WEIGHTS = [70, 20, 8, 2];

/** Where a profile came from; `referral` profiles carry a `referrer`. */
export const SOURCES = ['organic', 'google_ads', 'facebook_ads', 'instagram', 'referral', 'email', 'affiliate', 'tiktok'] as const;
export const SOURCE_WEIGHTS = [34, 18, 14, 10, 10, 5, 5, 4];

export const PLATFORMS = ['android', 'ios', 'web'] as const;
export type Platform = (typeof PLATFORMS)[number];
export const PLATFORM_WEIGHTS = [45, 20, 35];

export const CATEGORIES = ['Beauty', 'Skincare', 'Haircare', 'Fashion', 'Footwear', 'Electronics', 'Home', 'Grocery', 'Books', 'Toys', 'Sports', 'Wellness'];
/** Product n's category is CATEGORIES[n % CATEGORIES.length]; its price factor (of the country's order value) comes from n. */
export const PRODUCTS = 5000;
export const SCREENS = ['Home', 'Search', 'Category', 'Product', 'Cart', 'Profile', 'Orders', 'Offers', 'Wishlist', 'Notifications'];
export const PAGES = ['/', '/search', '/category', '/products', '/cart', '/account', '/orders', '/offers', '/wishlist', '/blog'];
export const SEARCH_TERMS = ['sunscreen', 'face wash', 'shampoo', 'running shoes', 'kurta', 'headphones', 'lipstick', 'protein', 'serum', 'sneakers', 'saree', 'charger'];
export const COUPONS = ['WELCOME10', 'FIRST50', 'FESTIVE20', 'FREESHIP', 'LOYAL15'];
export const CAMPAIGNS = 120;
export const UNINSTALL_REASONS = ['push_feedback', 'sdk', 'fcm_unregistered', 'apns_unregistered'];
export const APP_VERSIONS = ['5.8.0', '5.9.1', '6.0.0', '6.0.2', '6.1.0'];
