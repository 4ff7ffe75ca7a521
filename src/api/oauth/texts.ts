/** The languages of the sign-in and consent pages. */
export type Lang = "nl" | "en";

/** `lang` (Mastodon's parameter) first, then the best of Accept-Language; Dutch when nothing matches. */
export function pickLanguage(langParam: string | undefined, acceptLanguage: string | undefined): Lang {
  if (langParam === "nl" || langParam === "en") return langParam;
  const ranked = (acceptLanguage ?? "").slice(0, 500).split(",").map((part, index) => {
    const [tag = "", ...attrs] = part.trim().toLowerCase().split(";");
    const q = attrs.map((a) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(a)?.[1]).find((v) => v !== undefined);
    return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
  }).filter((e) => e.q > 0).sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === "nl" || tag.startsWith("nl-")) return "nl";
    if (tag === "en" || tag.startsWith("en-")) return "en";
  }
  return "nl";
}

export const TEXTS = {
  nl: {
    signInTitle: "Inloggen",
    signInIntro: (app: string) => `Log in om ${app} toegang te geven tot je account.`,
    login: "Gebruikersnaam of e-mailadres",
    password: "Wachtwoord",
    signIn: "Inloggen",
    wrongPassword: "De gebruikersnaam, het e-mailadres of het wachtwoord klopt niet.",
    tooMany: "Te veel mislukte pogingen. Probeer het over een kwartier opnieuw.",
    consentTitle: "Toegang geven",
    consentIntro: (app: string, user: string) => `${app} vraagt toegang tot je account ${user}. De app mag dan:`,
    authorise: "Toegang geven",
    deny: "Weigeren",
    oobTitle: "Autorisatiecode",
    oobIntro: "Kopieer deze code en plak hem in de app:",
    errorTitle: "Er ging iets mis",
    expiredForm: "Dit formulier is verlopen. Ga terug naar de app en probeer het opnieuw.",
    signedInAs: (user: string) => `Ingelogd als ${user}.`,
  },
  en: {
    signInTitle: "Sign in",
    signInIntro: (app: string) => `Sign in to give ${app} access to your account.`,
    login: "User name or e-mail address",
    password: "Password",
    signIn: "Sign in",
    wrongPassword: "The user name, e-mail address or password is not correct.",
    tooMany: "Too many failed attempts. Please try again in fifteen minutes.",
    consentTitle: "Authorise access",
    consentIntro: (app: string, user: string) => `${app} asks for access to your account ${user}. The app will be able to:`,
    authorise: "Authorise",
    deny: "Deny",
    oobTitle: "Authorisation code",
    oobIntro: "Copy this code and paste it into the app:",
    errorTitle: "Something went wrong",
    expiredForm: "This form has expired. Go back to the app and try again.",
    signedInAs: (user: string) => `Signed in as ${user}.`,
  },
} as const;

const GROUPS: Record<string, { nl: string; en: string }> = {
  read: { nl: "je gegevens lezen", en: "read your data" },
  write: { nl: "namens jou berichten plaatsen en gegevens wijzigen", en: "post and change data on your behalf" },
  follow: { nl: "accounts volgen, blokkeren en negeren", en: "follow, block and mute accounts" },
  push: { nl: "je meldingen via push ontvangen", en: "receive your notifications by push" },
  profile: { nl: "alleen je basisprofiel zien", en: "see your basic profile only" },
  "admin:read": { nl: "beheergegevens van de server lezen", en: "read the server's administration data" },
  "admin:write": { nl: "beheeracties op de server uitvoeren", en: "perform administration actions on the server" },
};

const SUBJECTS: Record<string, { nl: string; en: string }> = {
  accounts: { nl: "accounts", en: "accounts" },
  blocks: { nl: "blokkeringen", en: "blocks" },
  bookmarks: { nl: "bladwijzers", en: "bookmarks" },
  canonical_email_blocks: { nl: "geblokkeerde e-mailadressen", en: "blocked e-mail addresses" },
  conversations: { nl: "gesprekken", en: "conversations" },
  domain_allows: { nl: "toegestane domeinen", en: "allowed domains" },
  domain_blocks: { nl: "geblokkeerde domeinen", en: "blocked domains" },
  email_domain_blocks: { nl: "geblokkeerde e-maildomeinen", en: "blocked e-mail domains" },
  favourites: { nl: "favorieten", en: "favourites" },
  filters: { nl: "filters", en: "filters" },
  follows: { nl: "wie je volgt", en: "follows" },
  ip_blocks: { nl: "geblokkeerde IP-adressen", en: "blocked IP addresses" },
  lists: { nl: "lijsten", en: "lists" },
  media: { nl: "media", en: "media" },
  mutes: { nl: "genegeerde accounts", en: "mutes" },
  notifications: { nl: "meldingen", en: "notifications" },
  reports: { nl: "rapportages", en: "reports" },
  search: { nl: "zoeken", en: "search" },
  statuses: { nl: "berichten", en: "posts" },
};

/** A scope in plain words: `read:statuses` is "read your data: posts". */
export function describeScope(scope: string, lang: Lang): string {
  const group = Object.keys(GROUPS).filter((g) => scope === g || scope.startsWith(`${g}:`)).sort((a, b) => b.length - a.length)[0];
  if (group === undefined) return scope;
  const words = GROUPS[group]![lang];
  if (scope === group) return words;
  const subject = SUBJECTS[scope.slice(group.length + 1)];
  return `${words}: ${subject ? subject[lang] : scope.slice(group.length + 1)}`;
}
