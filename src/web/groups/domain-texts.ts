/**
 * The domain's refusals (DomainError, in English for the APIs) as the reader
 * of a page should read them: the common ones in Dutch, anything else as the
 * domain worded it.
 */
import type { DomainError } from "../../domain/errors.ts";
import type { PageState } from "../layout.ts";

const DUTCH: Record<string, string> = {
  "This action is not allowed": "Dat mag je hier niet doen.",
  "Record not found": "Dat bestaat niet (meer).",
  "Only members post in this group": "Alleen leden plaatsen berichten in deze groep.",
  "Only the group's admins start posts here": "Alleen de beheerders van deze groep beginnen hier een bericht.",
  "A reply stays in the group of the post it answers": "Een reactie blijft in de groep van het bericht waarop ze reageert.",
  "You are banned from this group": "Je bent uit deze groep geweerd.",
  "This group is open by invitation only": "Lid worden van deze groep kan alleen op uitnodiging.",
  "The owner hands the group to someone else before leaving": "De eigenaar draagt de groep eerst over aan iemand anders voordat die vertrekt.",
  "Only local people can join from here": "Alleen mensen met een account op deze server worden hier lid.",
  "Only local people can start a group": "Alleen mensen met een account op deze server beginnen een groep.",
  "That group is gone": "Die groep bestaat niet meer.",
  "No such group": "Die groep bestaat niet.",
  "text is required": "Schrijf een tekst.",
  "text can't be blank": "Schrijf een tekst.",
  "title can't be blank": "Geef een titel.",
  "Cannot reply to a boost": "Op een gedeeld bericht kun je niet reageren.",
  "Object belongs to another actor": "Dat bericht is van iemand anders.",
  "Only the asker or a moderator of the group chooses the accepted answer": "Alleen wie de vraag stelde of een moderator van de groep kiest het geaccepteerde antwoord.",
  "Only a question has an accepted answer": "Alleen een vraag heeft een geaccepteerd antwoord.",
  "answer_id is not an answer to this question (a comment on it)": "Dat is geen antwoord op deze vraag.",
};

const DUTCH_PATTERNS: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^This group does not use (\S+)$/, (m) => `Deze groep gebruikt het onderdeel ${m[1]} niet.`],
  [/^(?:A discussion|A blog post|A question) needs a title$/, () => "Geef een titel."],
  [/^(text|title|Text|Title|Content warning) is longer than (\d+) characters$/, (m) => `${({ text: "De tekst", title: "De titel", "content warning": "De inhoudswaarschuwing" } as Record<string, string>)[m[1]!.toLowerCase()]} mag hoogstens ${m[2]} tekens hebben.`],
  [/^Only the group's (.+) can do that$/, () => "Dat mogen alleen de beheerders of moderators van de groep."],
];

/** The message of a domain refusal in the page's language (Dutch where known, else the domain's words). */
export function domainMessage(s: PageState, err: DomainError): string {
  if (s.lang !== "nl") return err.message;
  const known = DUTCH[err.message];
  if (known) return known;
  for (const [pattern, text] of DUTCH_PATTERNS) {
    const m = pattern.exec(err.message);
    if (m) return text(m);
  }
  return err.message;
}
