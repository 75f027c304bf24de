"""The default pack reads English, German, French, Spanish and Japanese titles, and its
over-eager words are fixed (issue 11): each title on a calendar that says nothing."""

from __future__ import annotations

import pytest

from tests.test_classify import event, one

CASES = [
    # English
    ("Security training", "work"), ("Walking 1:1 with Sam", "integrated"),
    ("Dentist", "life"), ("Flat viewing", "life"), ("Team breakfast 🥐", "integrated"),
    # over-eager words, fixed
    ("U10 training ⚽", "life"),            # a parent coaching kids, not professional learning
    ("Courses Biocoop", "life"),           # French: the shopping, not a course
    ("Friends of the Earth – partnership", "unclassified"),  # "friends" is not a party
    ("Q1 Offsite – Planung", "work"),       # an offsite is often work
    # German
    ("Fokuszeit – bitte nicht buchen", "work"), ("Teamabend 🎳", "integrated"),
    ("Gründerstammtisch", "integrated"), ("Zahnarzt Dr. Öztürk", "life"),
    ("Kinderarzt U8", "life"), ("Frauenärztin", "life"), ("Kita abholen", "life"),
    ("Elternabend", "life"), ("Friseur", "life"), ("Privat", "life"),
    ("Kundentermin – Rollout", "work"), ("Investorengespräch", "work"),
    ("Vorstellungsgespräch Backend", "work"), ("Besprechung Vertrieb", "work"),
    # French
    ("Déjeuner d'équipe", "integrated"), ("Réunion budget", "work"),
    ("Cours magistral – Droit des contrats", "work"), ("TD Microéconomie (groupe 2)", "work"),
    ("Rendez-vous médecin", "life"), ("Anniversaire de Léa", "life"),
    ("Entretien d'embauche – développeur", "work"), ("Conseil municipal", "work"),
    # Spanish
    ("Reunión con cliente", "work"), ("Cena de equipo", "integrated"),
    ("Dentista", "life"), ("Cumpleaños de mamá", "life"), ("Entrevista de trabajo", "work"),
    ("Pleno del ayuntamiento", "work"),
    # Japanese
    ("週次定例会議", "work"), ("打ち合わせ（A社）", "work"), ("歯医者", "life"),
    ("保育園お迎え", "life"), ("忘年会", "integrated"), ("採用面接", "work"),
    ("講義：統計学", "work"), ("授業参観", "life"),
]


@pytest.mark.parametrize(("title", "domain"), CASES)
def test_titles_in_five_languages(title: str, domain: str) -> None:
    assert one(event(title), default_rules=None)["domain"] == domain


@pytest.mark.parametrize("title", ["Hiring sync", "Produkt-Sync", "Sync with legal"])
def test_a_sync_is_not_unimportant_by_its_name(title: str) -> None:
    row = one(event(title), default_rules=None)
    assert row["important"] is not False


@pytest.mark.parametrize("title", ["Daily standup", "Sales Daily", "朝会"])
def test_status_rituals_are_not_important(title: str) -> None:
    assert one(event(title), default_rules=None)["important"] is False
