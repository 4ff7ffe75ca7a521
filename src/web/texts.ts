import { type Lang, pickLanguage } from "../api/oauth/texts.ts";

export type { Lang };

/** The words of the web pages, Dutch first (the default) and English. */
export const WEB_TEXTS = {
  nl: {
    skip: "Naar de inhoud",
    home: "Start",
    signIn: "Inloggen",
    signOut: "Uitloggen",
    login: "Gebruikersnaam of e-mailadres",
    password: "Wachtwoord",
    wrongPassword: "De gebruikersnaam, het e-mailadres of het wachtwoord klopt niet.",
    tooMany: "Te veel mislukte pogingen. Probeer het over een kwartier opnieuw.",
    expiredForm: "Dit formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.",
    language: "Taal",
    switchTo: "English",
    publicGroups: "Groepen",
    yourGroups: "Jouw groepen",
    newest: "Nieuw voor jou",
    noGroups: "Nog geen groepen.",
    noPosts: "Nog geen berichten.",
    posts: "Berichten",
    discussions: "Discussies",
    members: (n: number) => (n === 1 ? "1 lid" : `${n} leden`),
    closedGroup: "Dit is een besloten groep: alleen leden zien wat erin staat.",
    older: "Oudere berichten",
    notFound: "Niet gevonden",
    notFoundText: "Deze pagina bestaat niet, of je mag haar niet zien.",
    tag: (name: string) => `Berichten met #${name}`,
    feed: "Atom-feed",
    signedInAs: (name: string) => `Ingelogd als ${name}`,
    main: "Hoofdmenu",
    comments: "Reacties",
    thread: "Eerder in het gesprek",
    showContent: "Toon inhoud",
  },
  en: {
    skip: "Skip to content",
    home: "Home",
    signIn: "Sign in",
    signOut: "Sign out",
    login: "User name or e-mail address",
    password: "Password",
    wrongPassword: "The user name, e-mail address or password is wrong.",
    tooMany: "Too many failed attempts. Try again in a quarter of an hour.",
    expiredForm: "This form has expired. Reload the page and try again.",
    language: "Language",
    switchTo: "Nederlands",
    publicGroups: "Groups",
    yourGroups: "Your groups",
    newest: "New for you",
    noGroups: "No groups yet.",
    noPosts: "No posts yet.",
    posts: "Posts",
    discussions: "Discussions",
    members: (n: number) => (n === 1 ? "1 member" : `${n} members`),
    closedGroup: "This is a closed group: only its members see what is in it.",
    older: "Older posts",
    notFound: "Not found",
    notFoundText: "This page does not exist, or you may not see it.",
    tag: (name: string) => `Posts tagged #${name}`,
    feed: "Atom feed",
    signedInAs: (name: string) => `Signed in as ${name}`,
    main: "Main menu",
    comments: "Comments",
    thread: "Earlier in the conversation",
    showContent: "Show content",
  },
} as const;

export type WebTexts = (typeof WEB_TEXTS)[Lang];

/** The `lang` cookie (set by the switch in the header) first, then Accept-Language; Dutch when nothing matches. */
export function webLanguage(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  return pickLanguage(cookie, acceptLanguage);
}

/** A page area's own words (each area keeps its table in its own file, Dutch and English). */
export function localized<T>(lang: Lang, table: Record<Lang, T>): T {
  return table[lang];
}
