"""Screening before the call: each candidate, its group parent and the buyer of its Russian business against the
sanctions lists, and the diversion-risk flag of its sector.

Matching (rapidfuzz on normalised names):
- normalise: transliterate to Latin (anyascii: ПАО Сбербанк -> PAO SBERBANK), upper case, drop punctuation, legal
  forms (LLC, OOO, ООО, AO, PJSC, ПАО, GmbH, AG, SA, "joint stock company"...) and filler words, and read Russian
  spellings of Russia as RUSSIA; fold transliteration variants (Y/I, KH/H, W/V, doubled letters).
- candidates: listed names sharing a word with the name (an index of words), then
  score = token_sort_ratio(name, listed name) (0-100, word order ignored); for a listed individual a name may leave
  out a middle name or patronymic, so score = max(token_sort_ratio, token_set_ratio) when the name has two words.
- A score >= POSSIBLE_AT is a *possible match*; a name is never proof, so a match becomes *confirmed* or *cleared*
  only by a named editor's review (with a reason, audited). Thresholds are measured on the labelled set in
  tests/unit/test_screening.py (precision and recall reported there and in the issue notes).
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from anyascii import anyascii
from pydantic import BaseModel, Field, field_validator
from rapidfuzz import fuzz

from lib.auth import User, require_editor
from lib.i18n import _
from lib.store import Store

POSSIBLE_AT = 92  # score (0-100) from which a listed name is a possible match; see the module docstring
WORD_MATCH_AT = 80  # how alike a distinctive word and its counterpart in a listed name must be (fuzz.ratio)
COMMON_WORD = 400  # a word in more listed names than this (BANK, TRADING) does not by itself bring candidates
Status = Literal["no_match", "possible", "confirmed", "cleared"]
SEVERITY: dict[str, int] = {"no_match": 0, "cleared": 1, "possible": 2, "confirmed": 3}
STATUS_LABELS: dict[str, str] = {"no_match": "No match", "possible": "Possible match – needs review",
                                 "confirmed": "Confirmed match", "cleared": "Cleared by review"}
ROLE_LABELS: dict[str, str] = {"company": "the company", "parent": "its group parent",
                               "buyer": "buyer of its Russian business"}

# Legal forms as normalised text (after transliteration and punctuation removal), longest first.
LEGAL_PHRASES = sorted((
    "PUBLIC JOINT STOCK COMPANY", "OPEN JOINT STOCK COMPANY", "CLOSED JOINT STOCK COMPANY",
    "PRIVATE JOINT STOCK COMPANY", "NON PUBLIC JOINT STOCK COMPANY", "JOINT STOCK COMPANY",
    "LIMITED LIABILITY COMPANY", "LIMITED LIABILITY PARTNERSHIP", "PUBLICLY TRADED COMPANY",
    "PUBLIC LIMITED COMPANY", "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO", "OTKRYTOE AKTSIONERNOE OBSHCHESTVO",
    "ZAKRYTOE AKTSIONERNOE OBSHCHESTVO", "NEPUBLICHNOE AKTSIONERNOE OBSHCHESTVO", "AKTSIONERNOE OBSHCHESTVO",
    "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTIU", "OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU",
    "TOVARISHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTIU", "GESELLSCHAFT MIT BESCHRANKTER HAFTUNG",
    "AKTIENGESELLSCHAFT", "SOCIETE ANONYME", "S A", "S P A", "S R L", "S A S", "B V", "N V", "A G", "L L C",
    "O O O", "S E", "STATE CORPORATION", "INTERNATIONAL LIMITED LIABILITY COMPANY",
    "INTERNATIONAL PUBLIC JOINT STOCK COMPANY", "INTERNATIONAL JOINT STOCK COMPANY", "INTERNATIONAL COMPANY", "GOSKORPORATSIIA", "GOSUDARSTVENNAIA KORPORATSIIA",
), key=len, reverse=True)
LEGAL_WORDS = frozenset(
    "LLC OOO AO OAO ZAO PAO NAO PJSC JSC OJSC CJSC TOO LTD LIMITED INC INCORPORATED CORP CORPORATION CO COMPANY PLC "
    "GMBH AG SA SAS SARL SPA SRL BV NV AB OY OYJ KG KGAA SE LLP LP FZE FZCO FZ DMCC PTE PTY SL SRO ASA HOLDING MK MKAO "
    "MKPAO "
    "HOLDINGS GROUP".split())
FILLER = frozenset("THE OF AND FOR".split())
SPELLINGS = {"ROSSII": "RUSSIA", "ROSSIYA": "RUSSIA", "ROSSIIA": "RUSSIA", "ROSSIA": "RUSSIA", "ROSSIYI": "RUSSIA",
             "ROSSIISKOI": "RUSSIAN", "ROSSIYSKOY": "RUSSIAN", "ROSSIISKAIA": "RUSSIAN", "ROSSIYSKAYA": "RUSSIAN",
             # Russian business loanwords as transliterated (Трейдинг, Трейд, Инвест, Банк are already alike)
             "TREIDING": "TRADING", "TREID": "TRADE", "GRUPP": "GROUP", "KHOLDING": "HOLDING",
             "KOMPANIIA": "COMPANY", "KOMPANIYA": "COMPANY", "KORPORATSIIA": "CORPORATION",
             "KORPORATSIYA": "CORPORATION", "OBSCHESTVO": "OBSHCHESTVO", "AKTSIONERNOYE": "AKTSIONERNOE"}


def normalise(name: str) -> str:
    """A name as compared: Latin letters, no legal form, no punctuation (e.g. 'ПАО «Сбербанк России»' -> 'SBERBANK
    RUSSIA')."""
    text = anyascii(str(name)).upper()
    text = re.sub(r"['`\u2019\u02b9\u02bc\"]", "", text).replace("&", " AND ")
    words = [_SPELLINGS_FOLDED.get(fold(w), w) for w in re.sub(r"[^A-Z0-9]+", " ", text).split()]
    text = " " + " ".join(words) + " "
    for phrase in LEGAL_PHRASES:
        text = text.replace(f" {phrase} ", " ")
    return " ".join(w for w in text.split() if w not in LEGAL_WORDS and w not in FILLER)


def fold(normal: str) -> str:
    """Transliteration variants made equal: Y/I, KH/H, W/V, doubled letters (VNESHNEY/VNESHNEI, LEDVAKH/LEDVAH)."""
    text = normal.replace("KH", "H").replace("Y", "I").replace("W", "V")
    return re.sub(r"([A-Z])\1+", r"\1", text)


_SPELLINGS_FOLDED = {fold(k): v for k, v in SPELLINGS.items()}  # TREYDING and TREIDING alike


def compared(name: str) -> str:
    return fold(normalise(name))


def score(name: str, listed: str, individual: bool = False) -> float:
    """0-100 similarity of two compared() names (see the module docstring)."""
    value = fuzz.token_sort_ratio(name, listed)
    if individual and len(name.split()) >= 2:
        value = max(value, fuzz.token_set_ratio(name, listed))
    return float(value)


# -- the index of listed names ----------------------------------------------------------------------------
@dataclass
class ListIndex:
    """Every listed name, compared(), with an index of words; and each list's title and publication date."""

    rows: list[tuple[str, str, str, str, str, str]]  # list_id, entry_id, name, primary_name, programmes, entry_type
    compared: list[str]
    words: dict[str, np.ndarray]
    lists: dict[str, dict[str, Any]]
    key: tuple = field(default=())


def _list_key(store: Store) -> tuple:
    rows = store.fetch_all("SELECT list_id, published, loaded_at, names FROM sanctions_lists ORDER BY list_id")
    return (store.location, *(tuple(str(v) for v in r) for r in rows))


def build_index(store: Store) -> ListIndex:
    """Read the lists and index their names by word (the compared names are stored with them, see sanctions_lists)."""
    names = store.fetch_df("SELECT list_id, entry_id, name, primary_name, programmes, entry_type, compared "
                           "FROM sanctions_names WHERE compared <> ''")
    texts = names["compared"].tolist()
    postings: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        for word in set(text.split()):
            postings[word].append(i)
    lists = {r["list_id"]: r for r in store.fetch_df(
        "SELECT list_id, title, publisher, published, origin FROM sanctions_lists").to_dict("records")}
    for meta in lists.values():
        meta["published"] = pd.Timestamp(meta["published"]).date()
    rows = list(names[["list_id", "entry_id", "name", "primary_name", "programmes", "entry_type"]]
                .fillna("").itertuples(index=False, name=None))
    return ListIndex(rows, texts, {w: np.array(ix) for w, ix in postings.items()}, lists, _list_key(store))


_indexes: dict[str, ListIndex] = {}
_lock = threading.Lock()


def list_index(store: Store) -> ListIndex:
    """The index of the store's lists, rebuilt only when a list was replaced (one per store, per process)."""
    key = _list_key(store)
    with _lock:
        cached = _indexes.get(store.location)
        if cached is None or cached.key != key:
            cached = _indexes[store.location] = build_index(store)
        return cached


class ListedMatch(BaseModel):
    """A listed name that a screened name resembles."""

    list_id: str
    entry_id: str
    listed_name: str
    primary_name: str
    programmes: str = ""
    entry_type: str
    score: float


def _has_counterpart(word: str, listed_words: list[str]) -> bool:
    return any(fuzz.ratio(word, other) >= WORD_MATCH_AT for other in listed_words)


def match_name(index: ListIndex, name: str, possible_at: float = POSSIBLE_AT,
               individuals: bool = False) -> list[ListedMatch]:
    """The listed entries a name possibly matches, best first (one per entry: its best-scoring name).

    Companies are compared with listed entities only; with `individuals` (a buyer may be a person) also with listed
    individuals' names of two words or more (one-word aliases of people are nicknames: "Bentley", "Mango"). Beyond
    the score, every distinctive word of the name (one in at most COMMON_WORD listed names) must have a
    counterpart in the listed name (fuzz.ratio >= WORD_MATCH_AT), so that "Dentsu International" is not "DES
    International"; a name shorter than four letters (an acronym) matches only a listed name equal to it."""
    text = compared(name)
    if not text:
        return []
    words = text.split()
    rows = [index.words[w] for w in words if w in index.words and len(index.words[w]) <= COMMON_WORD]
    if not rows:  # only common words (e.g. "Trading Bank"): compare with every name that has them
        rows = [index.words[w] for w in words if w in index.words]
    if not rows:
        return []
    distinctive = [w for w in words if len(index.words.get(w, ())) <= COMMON_WORD]
    best: dict[tuple[str, str], ListedMatch] = {}
    short = len(text.replace(" ", "")) < 4
    for i in np.unique(np.concatenate(rows)).tolist():
        listed = index.compared[i]
        list_id, entry_id, listed_name, primary_name, programmes, kind = index.rows[i]
        individual = kind == "individual"
        if individual and (not individuals or len(listed.split()) < 2):
            continue
        value = (100.0 if listed == text else 0.0) if short else score(text, listed, individual)
        if value < possible_at:
            continue
        listed_words = listed.split()
        if not all(_has_counterpart(w, listed_words) for w in distinctive):
            continue
        if (list_id, entry_id) not in best or value > best[(list_id, entry_id)].score:
            best[(list_id, entry_id)] = ListedMatch(list_id=list_id, entry_id=entry_id, listed_name=listed_name,
                                                    primary_name=primary_name, programmes=programmes,
                                                    entry_type=kind, score=value)
    return sorted(best.values(), key=lambda m: (-m.score, m.primary_name))
