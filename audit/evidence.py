"""Evidence for classification (SPEC §5 "evidence" tier): facts a calendar carries.

Two levels, both plain Polars expressions:

* **the event** — who attends and organizes it (colleagues on ``work_domains``, external
  business domains, personal mail domains such as gmail.com), an out-of-office or leave
  marker of the owner's own, a shift on a rota ("E 07:00-15:00 Ward 3");
* **the calendar** — what a calendar as a whole is (`infer_calendars`): named like a
  family or personal calendar, the account of a work address, a shift rota, mostly with
  colleagues, mostly with personal addresses and no colleagues. The inferred default is
  shown to the person with its evidence, and is the weakest source of a domain.

The word lists are written for anyone in English, German, French, Spanish and Japanese;
none names a person, place or organisation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

from audit.rules import is_external, work_domain_regex
from core import schema as s

# Mail providers people use for private mail: an address there is a person, not a company.
# Exact domains; `\.[a-z.]{2,6}$` stands for the country variants (hotmail.co.uk, gmx.net).
CONSUMER_DOMAINS = (
    r"^((outlook|hotmail|live|msn|yahoo|ymail|gmx|aol|yandex|rocketmail)\.[a-z.]{2,6}"
    r"|g(oogle)?mail\.com|icloud\.com|me\.com|mac\.com|web\.de|t-online\.de|posteo\.(de|net)"
    r"|mailbox\.org|freenet\.de|arcor\.de|proton\.me|protonmail\.(com|ch)|pm\.me"
    r"|tutanota\.(com|de)|tuta\.io|fastmail\.(com|fm)|hey\.com|zoho\.com|mail\.com"
    r"|orange\.fr|free\.fr|laposte\.net|sfr\.fr|wanadoo\.fr|neuf\.fr|bbox\.fr"
    r"|telefonica\.net|movistar\.es|terra\.(es|com|com\.br)|uol\.com\.br|bol\.com\.br"
    r"|libero\.it|virgilio\.it|tiscali\.(it|co\.uk)|alice\.it|bluewin\.ch|gmx\.ch"
    r"|btinternet\.com|sky\.com|virginmedia\.com|talktalk\.net|ntlworld\.com"
    r"|comcast\.net|verizon\.net|att\.net|sbcglobal\.net|cox\.net|bigpond\.(com|net\.au)"
    r"|mail\.ru|qq\.com|163\.com|126\.com|naver\.com|daum\.net|seznam\.cz|wp\.pl|o2\.pl"
    r"|onet\.pl|docomo\.ne\.jp|ezweb\.ne\.jp|au\.com|softbank\.ne\.jp|i\.softbank\.jp"
    r"|nifty\.com|ocn\.ne\.jp|so-net\.ne\.jp|biglobe\.ne\.jp)$"
)

# A calendar named like a family or personal one ("Familie 🏡", "Miriam privat", "Home").
LIFE_CALENDAR_NAME = (
    r"(?i)(famil|privat|private|personal|persönlich|\bperso\b|\bhome\b|zuhause|daheim"
    r"|maison|\bcasa\b|hogar|\bkids\b|kinder|enfants|niños|hijos|birthdays?|geburtstag"
    r"|anniversaires|cumpleaños|feiertag|jours fériés|festivos|public holidays"
    r"|家族|プライベート|個人|誕生日|祝日|家庭)"
)
# A calendar named like a work one ("Work", "Arbeit", "Dienstplan", "仕事").
WORK_CALENDAR_NAME = (
    r"(?i)(\bwork\b|arbeit|büro|\bjob\b|travail|bureau|boulot|trabajo|oficina|lavoro"
    r"|ufficio|\boffice\b|dienstplan|\brota\b|roster|schichtplan|planning|turnos|guardias"
    r"|仕事|勤務|会社|シフト)"
)
# A duty on a rota: a clock range in the title ("E 07:00-15:00", "Nacht 21.30–07.00") or a
# shift word ("Early", "Spätdienst", "Nuit", "夜勤").
SHIFT_TITLE = (
    r"(?i)(\d{1,2}[:.h]\d{2}\s*[-–—]\s*\d{1,2}[:.h]\d{2}"
    r"|^\W*(early|late|night|long day|twilight|on[- ]?call|früh|spät|nacht|matin|soir|nuit"
    r"|mañana|tarde|noche)\W*$"
    # a bare duty code in capitals ("E", "LD", "N2"); only a calendar made mostly of
    # shifts is a rota, so a lone code elsewhere changes nothing
    r"|(?-i:^\s*[A-Z]{1,3}\d?\s*$)"
    r"|\b(shift|früh(dienst|schicht)|spät(dienst|schicht)|nacht(dienst|schicht)|bereitschaft"
    r"|rufdienst|astreinte|garde de nuit|guardia|turno)\b"
    r"|日勤|夜勤|早番|遅番|当直|宿直|シフト)"
)
# The owner's own time off ("AL", "Urlaub", "Congés", "Vacaciones", "有給").
LEAVE_TITLE = (
    r"(?i)(^\W*(al|a/l|pto|ooo|rtt|ol|off|rest day|repos|libre|公休)\W*$"
    r"|\b(annual|sick|parental|maternity|paternity|compassionate|bereavement) leave\b"
    r"|\b(on leave|vacation|holidays?|out of (the )?office|ooo|pto|sick day|day off|time off)\b"
    r"|urlaub|\bferien\b|abwesend|\bkrank|elternzeit|brückentag|\bfrei\b"
    r"|congés?|vacances|\babsente?\b|arrêt maladie|jour férié"
    r"|vacaciones|festivo|día libre|\bde baja\b|ausente|\bpermiso\b"
    r"|休暇|有給|有休|休み|年休|代休|休暇中)"
)

# how much of a calendar makes it what it is (see `infer_calendars`)
MIN_EVENTS = 3
MAJORITY = 0.5


def _domain_of(address: pl.Expr) -> pl.Expr:
    return address.str.split("@").list.last()


# An organizer that is a system, not a person: a booking service or a mailing robot
# ("noreply@", "reservations@") says nothing about who the event is with.
SYSTEM_SENDER = (r"^(no-?reply|do-?not-?reply|notifications?|calendar|bookings?|reservations?"
                 r"|appointments?|termine?|rendez-?vous|citas?|mailer|robot)[-_.+@]")


def participant_domains(owner_emails: Sequence[str]) -> pl.Expr:
    """The mail domains of the people in an event other than the owner: attendees, and
    the organizer unless it is one of the owner's addresses or a system sender."""
    organizer = pl.col(s.ORGANIZER)
    foreign = (organizer.is_not_null() & ~organizer.is_in(list(owner_emails))
               & ~organizer.str.contains(SYSTEM_SENDER).fill_null(False))
    extra = pl.when(foreign).then(pl.concat_list(_domain_of(organizer))).otherwise(
        pl.lit([], dtype=pl.List(pl.String)))
    return pl.concat_list(pl.col(s.ATTENDEE_DOMAINS).fill_null([]), extra)


def people_flags(work_domains: Sequence[str], owner_emails: Sequence[str]) -> dict[str, pl.Expr]:
    """Per event: any colleague, any personal (consumer) address, any external business."""
    people = participant_domains(owner_emails)
    colleague = pl.element().str.contains(work_domain_regex(work_domains))
    consumer = pl.element().str.contains(CONSUMER_DOMAINS)
    return {
        "colleague": people.list.eval(colleague).list.any().fill_null(False),
        "consumer": people.list.eval(consumer & ~colleague).list.any().fill_null(False),
        "business": people.list.eval(~consumer & ~colleague).list.any().fill_null(False),
    }


PEOPLE = ("colleague", "consumer", "business", "partner")


def people_frame(events: pl.DataFrame, work_domains: Sequence[str],
                 owner_emails: Sequence[str], *, external: bool = False) -> pl.DataFrame:
    """`people_flags` of every row of ``events`` (columns colleague, consumer, business,
    partner; with ``external``, also `audit.rules.is_external` as ``external``).

    Evaluated once per distinct (organizer, attendee domains): a calendar repeats its
    people, and the regexes over the domains are the expensive part (at 1M rows:
    ≈ 0.1 s this way against ≈ 2 s row by row, measured with benchmarks/engine.py).
    """
    key = pl.struct(s.ORGANIZER, s.ATTENDEE_DOMAINS).hash(seed=0).alias("key")
    keyed = events.select(key, s.ORGANIZER, s.ATTENDEE_DOMAINS)
    distinct = keyed.unique("key", keep="first").with_columns(
        participant_domains(owner_emails).alias("people"),
        *(expr.alias(name) for name, expr in people_flags(work_domains, owner_emails).items()))
    # a business partner: an external business domain that meets colleagues somewhere in
    # these calendars (a club or a shop that only ever invites the owner is not one)
    colleague = pl.element().str.contains(work_domain_regex(work_domains))
    consumer = pl.element().str.contains(CONSUMER_DOMAINS)
    partners = (distinct.filter(pl.col("colleague"))
                .select(pl.col("people").list.eval(pl.element().filter(~colleague & ~consumer))
                        .list.explode(keep_nulls=False, empty_as_null=False))
                .to_series().unique().drop_nulls())
    distinct = distinct.with_columns(
        pl.col("people").list.eval(pl.element().is_in(partners.implode())).list.any()
        .fill_null(False).alias("partner"))
    columns = [*PEOPLE, *(["external"] if external else [])]
    if external:
        distinct = distinct.with_columns(is_external(work_domains).alias("external"))
    return keyed.select("key").join(distinct.select("key", *columns), on="key", how="left",
                                    maintain_order="left").select(columns)


def title_flags(titles: pl.Series, pattern: str) -> pl.Series:
    """Whether ``pattern`` is found in each title, evaluated once per distinct title."""
    distinct = titles.unique()
    found = distinct.str.contains(pattern).fill_null(False)
    return titles.replace_strict(distinct, found, default=False, return_dtype=pl.Boolean)


def _email_domain(name: pl.Expr) -> pl.Expr:
    """The domain when the calendar is named by an e-mail address (Google, Exchange)."""
    return pl.when(name.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")).then(
        _domain_of(name.str.to_lowercase()))


# Columns of `infer_calendars`.
CALENDAR_SCHEMA = pl.Schema({s.SOURCE: pl.String, s.CALENDAR: pl.String,
                             "domain": pl.String, "evidence": pl.String,
                             "rota": pl.Boolean})


def infer_calendars(events: pl.DataFrame, work_domains: Sequence[str],
                    owner_emails: Sequence[str], *, people: pl.DataFrame | None = None,
                    shift: pl.Series | None = None) -> pl.DataFrame:
    """What each calendar (by ``source``) is, with the evidence, or a null domain.

    First that holds: named like a family / personal calendar → life; the account of an
    address on a work domain → work; an account on a personal mail domain → life; a shift
    rota (most timed events are shifts) → work; most events with other people have a
    colleague → work; most have only personal addresses and few have colleagues → life;
    named like a work calendar → work.

    ``people`` (`people_frame`) and ``shift`` (a shift-like title, per row) are given when
    the caller has them already.
    """
    if events.height == 0:
        return pl.DataFrame(schema=CALENDAR_SCHEMA)
    people = people_frame(events, work_domains, owner_emails) if people is None else people
    shift = title_flags(events[s.TITLE], SHIFT_TITLE) if shift is None else shift
    owner_work = [e for e in owner_emails if re.search(work_domain_regex(work_domains),
                                                       e.rpartition("@")[2])]
    owner_private = [e for e in owner_emails if e not in owner_work]
    organizer = pl.col(s.ORGANIZER)
    rows = pl.concat([events.select(s.SOURCE, s.CALENDAR, s.ALL_DAY, s.ORGANIZER), people,
                      shift.alias("shift").to_frame()], how="horizontal").lazy().select(
        s.SOURCE, s.CALENDAR, s.ALL_DAY, *PEOPLE, "shift",
        organizer.is_in(owner_work).fill_null(False).alias("own_work"),
        organizer.is_in(owner_private).fill_null(False).alias("own_private"),
    )
    timed = ~pl.col(s.ALL_DAY)
    people = pl.col("colleague") | pl.col("consumer") | pl.col("business")
    stats = rows.group_by(s.SOURCE).agg(
        pl.col(s.CALENDAR).first(),
        timed.sum().alias("timed"),
        (pl.col("shift") & timed).sum().alias("shifts"),
        people.sum().alias("with_people"),
        (pl.col("colleague") | pl.col("own_work")).sum().alias("work_signs"),
        pl.col("colleague").sum().alias("colleagues"),
        (pl.col("consumer") & ~pl.col("colleague") & ~pl.col("business")).sum()
        .alias("personal_only"),
        pl.col("own_private").sum().alias("own_private"),
    ).collect().sort(s.SOURCE)
    name = pl.col(s.CALENDAR).fill_null("")
    account = _email_domain(name)
    quoted = pl.format('calendar "{}"', name)
    people_n, work_n = pl.col("with_people"), pl.col("work_signs")
    life_n = pl.col("personal_only") + pl.col("own_private")
    rota = ((pl.col("shifts") >= MIN_EVENTS)
            & (pl.col("shifts") >= MAJORITY * pl.col("timed"))
            & (pl.col("colleagues") <= 0.2 * pl.col("timed")))
    decisions = [
        (name.str.contains(LIFE_CALENDAR_NAME), "life",
         pl.format("{} is named like a personal calendar", quoted)),
        (account.str.contains(work_domain_regex(work_domains)).fill_null(False), "work",
         pl.format("{} is an account on a work domain", quoted)),
        (account.str.contains(CONSUMER_DOMAINS).fill_null(False), "life",
         pl.format("{} is an account on a personal mail domain", quoted)),
        (rota, "work", pl.format("{} is a shift rota ({} of {} timed events are shifts)",
                                 quoted, pl.col("shifts"), pl.col("timed"))),
        ((work_n >= MIN_EVENTS) & (work_n >= MAJORITY * (people_n + pl.col("own_private")))
         & (work_n > life_n), "work",
         pl.format("{} is mostly with colleagues ({} of {} events with people)", quoted,
                   pl.col("colleagues"), people_n)),
        ((life_n >= MIN_EVENTS) & (life_n >= MAJORITY * people_n)
         & (pl.col("colleagues") <= 0.2 * people_n), "life",
         pl.format("{} is mostly with personal addresses and has no colleagues "
                   "({} of {} events with people)", quoted, pl.col("personal_only"), people_n)),
        (name.str.contains(WORK_CALENDAR_NAME), "work",
         pl.format("{} is named like a work calendar", quoted)),
    ]
    domain: pl.Expr = pl
    evidence: pl.Expr = pl
    for when, value, why in decisions:
        domain = domain.when(when).then(pl.lit(value))
        evidence = evidence.when(when).then(why)
    return stats.select(
        s.SOURCE, s.CALENDAR,
        domain.otherwise(pl.lit(None, pl.String)).alias("domain"),
        evidence.otherwise(pl.lit(None, pl.String)).alias("evidence"),
        rota.alias("rota"),
    ).cast(dict(CALENDAR_SCHEMA))


__all__ = ["CALENDAR_SCHEMA", "CONSUMER_DOMAINS", "LEAVE_TITLE", "LIFE_CALENDAR_NAME",
           "PEOPLE", "SHIFT_TITLE", "WORK_CALENDAR_NAME", "infer_calendars",
           "participant_domains", "people_flags", "people_frame", "title_flags"]
