#!/usr/bin/env python3
"""Write a realistic leads CSV, the same for the same seed, in constant memory:

    python bench/generate_leads.py --rows 1000000 --seed 42 --out bench/data/leads-1m.csv

The mix of rows (each drawn independently) is what the import engine meets in real exports:
- email: 10 % empty, 2 % malformed, 5 % a repeat of an earlier email of the file (half of those
  re-cased or padded with spaces), the rest unique;
- status: 8 % empty, 1 % unknown, otherwise one of the five statuses;
- lead_score: 5 % empty, 1 % not a number; deal_value: 25 % empty, 0.5 % not an amount, and
  '1234.5', '$1,234.50', '1234', '12,500' spellings;
- company: 3 % empty, otherwise from a pool of rows/20 names with a long tail (rank k drawn with
  probability ~ 1/k), 5 % spelled in another case or padded;
- tags: 0 to 4 of 50, in one quoted field; notes: 40 % empty, some with commas, quotes and line breaks;
- names: mostly Latin with accents, some CJK, Cyrillic, Greek and Arabic.
"""
import argparse
import csv
import math
import random
import sys

HEADER = ["first_name", "last_name", "email", "phone", "company", "status", "source",
          "lead_score", "deal_value", "tags", "notes"]

FIRST_NAMES = ("Emma Liam Olivia Noah Ava Lucas Mia Hugo Léa Chloé José María François Zoë Jürgen Søren "
               "Björn Łukasz Inês João Anaïs Noël Ángel Ömer Çağla Håkon Giulia Mateo Sofia David Sarah "
               "Thomas Karen Daniel Nancy Michael Linda Robert Patricia").split()
LAST_NAMES = ("Smith Jones Brown Garcia Miller Davis Martinez López Müller Schröder Großmann Ødegaard "
              "Lefèvre Dubois Nuñez Kowalski Wiśniewski Novák Horváth Şahin Yılmaz O'Brien D'Angelo "
              "Rossi Silva Nguyen Tran Kim Patel Singh Cohen Virtanen Mäkinen").split() + ["van der Berg", "de la Cruz"]
OTHER_NAMES = [("伟", "王"), ("秀英", "李"), ("翔太", "佐藤"), ("結衣", "鈴木"), ("민준", "김"), ("서연", "박"),
               ("Алексей", "Иванов"), ("Ольга", "Петрова"), ("Νίκος", "Παπαδόπουλος"), ("محمد", "الحسن")]
ROMANISED = ["wang", "li", "sato", "suzuki", "kim", "park", "ivanov", "petrova", "nikos", "hassan"]
ASCII = str.maketrans({**dict(zip("áàâäãåąçčćéèêëęíìîïıñńóòôöõøúùûüśšşžżłřğ",
                                   "aaaaaaaccceeeeeiiiiinnoooooouuuussszzlrg")),
                        "ß": "ss", "æ": "ae", "œ": "oe", "'": None, " ": None})
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "proton.me", "gmx.de", "orange.fr", "qq.com",
           "naver.com", "example.com", "acme.io", "contoso.com", "fabrikam.net", "initech.co.uk"]
MALFORMED = ["{u}@", "{u} x@{d}", "{u}.{d}", "@{d}", "{u}@@{d}", "{u}@{d}.", "{u}@localhost", "{u},x@{d}",
             "mailto {u}", "{u}@[{d}"]
STATUSES = ["new", "contacted", "qualified", "converted", "lost"]
UNKNOWN_STATUSES = ["pending", "won", "Unknown", "closed-won", "N/A"]
SOURCES = ["web", "referral", "linkedin", "event", "cold_call", "ads", "partner", "webinar", ""]
TAGS = ("vip newsletter hot cold warm enterprise smb mid-market trial churn-risk upsell renewal partner "
        "reseller webinar conference inbound outbound demo-requested pricing security-review legal emea "
        "apac latam na dach nordics fintech healthcare retail saas manufacturing education government "
        "nonprofit startup q1 q2 q3 q4 follow-up do-not-call decision-maker champion budget-ok competitor "
        "référence 客户 beta").split()
COMPANY_WORDS = (["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Wonka", "Tyrell", "Nordlicht",
                  "Café Olé", "Østerbro", "Kraków", "株式会社 山田", "São Paulo", "Müller & Söhne", "Smith, Jones",
                  "O'Reilly", "Blue Sky", "Red Rock", "North Star"],
                 ["Systems", "Labs", "Consulting", "Partners", "Holdings", "Foods", "Media", "Energy",
                  "Analytics", "Software", "Capital", "Health", "Ventures", "Networks"],
                 ["Inc", "LLC", "Ltd", "GmbH", "S.A.", "AG", "B.V.", "AB", "plc", ""])
NOTES = ["called", "left voicemail", "interested in pricing", "wants a demo", "budget approved",
         "follow up next quarter", "asked about SSO", "évaluation en cours", "需要报价", "sent proposal"]
REPEAT_POOL = 20_000


def company(rank: int) -> str:
    """Distinct names for every rank: the words cycle, a number tells the rounds apart."""
    first, second, third = COMPANY_WORDS
    name = f"{first[rank % len(first)]} {second[rank // len(first) % len(second)]}"
    round_ = rank // (len(first) * len(second) * len(third))
    suffix = third[rank // (len(first) * len(second)) % len(third)]
    return name + (f" {round_}" if round_ else "") + (f" {suffix}" if suffix else "")


class Rows:
    """Makes row after row; only a bounded pool of earlier emails is kept, for the repeats."""

    def __init__(self, rows: int, seed: int, notes_chars: int = 0):
        self.rnd = random.Random(seed)
        self.notes_chars = notes_chars
        self.companies = max(1, rows // 20)
        self.earlier: list[str] = []

    def row(self, number: int) -> list[str]:
        rnd = self.rnd
        first, last, user = self.names()
        return [first, last, self.email(number, user), self.phone(), self.company(), self.status(),
                rnd.choice(SOURCES), self.score(), self.deal(), self.tags(), self.notes()]

    def names(self) -> tuple[str, str, str]:
        rnd = self.rnd
        if rnd.random() < 0.05:
            index = rnd.randrange(len(OTHER_NAMES))
            first, last = OTHER_NAMES[index]
            user = ROMANISED[index]
        else:
            first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
            user = f"{first}.{last}".lower().translate(ASCII)
        return ("" if rnd.random() < 0.01 else first), last, user

    def email(self, number: int, user: str) -> str:
        rnd = self.rnd
        draw = rnd.random()
        if draw < 0.10:
            return ""
        if draw < 0.12:
            return rnd.choice(MALFORMED).format(u=user, d=rnd.choice(DOMAINS))
        if draw < 0.17 and self.earlier:
            email = rnd.choice(self.earlier)
            variant = rnd.random()
            if variant < 0.2:
                return email.upper()
            if variant < 0.35:
                return email.capitalize()
            return f"  {email} " if variant < 0.5 else email
        email = f"{user}{number:x}@{rnd.choice(DOMAINS)}"
        if len(self.earlier) < REPEAT_POOL:
            self.earlier.append(email)
        elif rnd.random() < 0.05:
            self.earlier[rnd.randrange(REPEAT_POOL)] = email
        return email

    def phone(self) -> str:
        rnd = self.rnd
        draw = rnd.random()
        if draw < 0.2:
            return ""
        if draw < 0.6:
            return f"+1 ({rnd.randint(200, 999)}) {rnd.randint(200, 999)}-{rnd.randint(0, 9999):04d}"
        return f"+44 20 {rnd.randint(1000, 9999)} {rnd.randint(1000, 9999)}"

    def company(self) -> str:
        rnd = self.rnd
        if rnd.random() < 0.03:
            return ""
        # exp(u * ln(n + 1)) is spread so that rank k comes up with probability about 1/k.
        name = company(min(self.companies, int(math.exp(rnd.random() * math.log(self.companies + 1)))))
        variant = rnd.random()
        if variant < 0.02:
            return name.upper()
        if variant < 0.04:
            return name.lower()
        return f" {name} " if variant < 0.05 else name

    def status(self) -> str:
        draw = self.rnd.random()
        if draw < 0.01:
            return self.rnd.choice(UNKNOWN_STATUSES)
        if draw < 0.09:
            return ""
        return self.rnd.choices(STATUSES, (40, 25, 15, 8, 12))[0]

    def score(self) -> str:
        draw = self.rnd.random()
        if draw < 0.01:
            return self.rnd.choice(["high", "N/A", "seventy", "tbd"])
        return "" if draw < 0.06 else str(self.rnd.randint(0, 100))

    def deal(self) -> str:
        rnd = self.rnd
        draw = rnd.random()
        if draw < 0.25:
            return ""
        if draw < 0.255:
            return rnd.choice(["TBD", "call", "n/a", "1.2.3"])
        amount = round(rnd.lognormvariate(8.5, 1.2), 2)
        style = rnd.random()
        if style < 0.35:
            return f"{amount:.1f}"
        if style < 0.7:
            return f"${amount:,.2f}"
        return str(int(amount)) if style < 0.85 else f"{int(amount):,}"

    def tags(self) -> str:
        rnd = self.rnd
        count = rnd.choices((0, 1, 2, 3, 4), (30, 30, 20, 12, 8))[0]
        text = ", ".join(rnd.sample(TAGS, count))
        if count and rnd.random() < 0.05:
            text = text.upper() if rnd.random() < 0.5 else text.replace(", ", ",")
        return text

    def notes(self) -> str:
        text = self.note()
        if text and self.notes_chars:  # wide rows: the same note written out to the length asked for
            text = ((text + " ") * (self.notes_chars // (len(text) + 1) + 1))[:self.notes_chars]
        return text

    def note(self) -> str:
        rnd = self.rnd
        draw = rnd.random()
        if draw < 0.4:
            return ""
        if draw < 0.75:
            return rnd.choice(NOTES)
        if draw < 0.9:
            return f'{rnd.choice(NOTES)}, {rnd.choice(NOTES)}; said "{rnd.choice(NOTES)}"'
        return f'{rnd.choice(NOTES)}\n- {rnd.choice(NOTES)}\n- "{rnd.choice(NOTES)}", ok'


def write(rows: int, seed: int, out, notes_chars: int = 0) -> None:
    maker = Rows(rows, seed, notes_chars)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for number in range(rows):
        writer.writerow(maker.row(number))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", required=True, help="the CSV file to write ('-' for standard output)")
    parser.add_argument("--notes-chars", type=int, default=0,
                        help="write each non-empty note out to this many characters (files of wide rows)")
    args = parser.parse_args(argv)
    if args.out == "-":
        write(args.rows, args.seed, sys.stdout, args.notes_chars)
    else:
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            write(args.rows, args.seed, out, args.notes_chars)


if __name__ == "__main__":
    main()
