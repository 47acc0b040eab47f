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
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from anyascii import anyascii
from pydantic import BaseModel, Field, field_validator
from rapidfuzz import fuzz

from lib.auth import User, require_editor
from lib.i18n import N_, _
from lib.store import Store

POSSIBLE_AT = 92  # score (0-100) from which a listed name is a possible match; see the module docstring
WORD_MATCH_AT = 80  # how alike a distinctive word and its counterpart in a listed name must be (fuzz.ratio)
COMMON_WORD = 400  # a word in more listed names than this (BANK, TRADING) does not by itself bring candidates
Status = Literal["no_match", "possible", "confirmed", "cleared"]
SEVERITY: dict[str, int] = {"no_match": 0, "cleared": 1, "possible": 2, "confirmed": 3}
STATUS_LABELS: dict[str, str] = {"no_match": N_("No match"), "possible": N_("Possible match – needs review"),
                                 "confirmed": N_("Confirmed match"), "cleared": N_("Cleared by review")}
ROLE_LABELS: dict[str, str] = {"company": N_("the company"), "parent": N_("its group parent"),
                               "buyer": N_("buyer of its Russian business")}

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
    "INTERNATIONAL PUBLIC JOINT STOCK COMPANY", "INTERNATIONAL JOINT STOCK COMPANY", "INTERNATIONAL COMPANY",
    "GOSKORPORATSIIA", "GOSUDARSTVENNAIA KORPORATSIIA",
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
    """Transliteration variants made equal: Y/I, KH/H, W/V, doubled letters (VNESHNEY/VNESHNEI, LEDVAKH/LEDVAH).

    Words of three letters or fewer (acronyms: ABB, HMM, DOW) are left as they are: folded, ABB would be AAB."""
    return " ".join(_fold_word(w) if len(w) > 3 else w for w in normal.split())


def _fold_word(word: str) -> str:
    word = word.replace("KH", "H").replace("Y", "I").replace("W", "V")
    return re.sub(r"([A-Z])\1+", r"\1", word)


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
    """What identifies the stored lists' content: each list's id, publication date, load time and name count (a copy
    of a store shares its index with the original)."""
    rows = store.fetch_all("SELECT list_id, published, loaded_at, names FROM sanctions_lists ORDER BY list_id")
    return tuple(tuple(str(v) for v in r) for r in rows)


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


_indexes: OrderedDict[tuple, ListIndex] = OrderedDict()
_lock = threading.Lock()
KEEP_INDEXES = 4  # versions of the lists whose index is kept per process (each index holds every listed name)


def list_index(store: Store) -> ListIndex:
    """The index of the store's lists, rebuilt only when a list was replaced (kept for the few list versions used
    last in this process)."""
    key = _list_key(store)
    with _lock:
        cached = _indexes.get(key)
        if cached is None:
            cached = _indexes[key] = build_index(store)
        _indexes.move_to_end(key)
        while len(_indexes) > KEEP_INDEXES:
            _indexes.popitem(last=False)
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


# -- screening companies -------------------------------------------------------------------------------------
class ScreenedMatch(ListedMatch):
    """A possible match of one screened name, with its review if an editor made one."""

    subject: str
    role: str
    status: Status = "possible"
    reviewer: str | None = None
    reason: str | None = None
    reviewed_at: datetime | None = None


class ListResult(BaseModel):
    """One company against one list: its status, the list's date and what matched."""

    list_id: str
    title: str
    published: date
    status: Status
    matches: list[ScreenedMatch] = Field(default_factory=list)


class CompanyScreening(BaseModel):
    """A company, its group parent and the buyers of its Russian business, screened against every stored list."""

    company_id: int
    name: str
    subjects: list[tuple[str, str]]  # (role, name) screened
    results: list[ListResult]
    status: Status
    diversion_risk: bool = False
    chp_items: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def needs_review(self) -> list[ScreenedMatch]:
        return [m for r in self.results for m in r.matches if m.status == "possible"]


def _worst(statuses: list[str]) -> Status:
    return max(statuses, key=SEVERITY.__getitem__, default="no_match")  # type: ignore[return-value]


def screening_subjects(store: Store, company_ids: list[int] | None = None) -> pd.DataFrame:
    """company_id, role, name of every name to screen: the company, its group parent, each buyer of its Russian
    business (russia_buyer facts)."""
    companies = store.fetch_df("SELECT c.company_id, c.name, p.name AS parent FROM companies c "
                               "LEFT JOIN companies p ON p.company_id = c.group_parent_id")
    buyers = store.fetch_df("SELECT company_id, value AS name FROM company_facts WHERE fact = 'russia_buyer' "
                            "AND value IS NOT NULL")
    if company_ids is not None:
        companies = companies[companies["company_id"].isin(company_ids)]
        buyers = buyers[buyers["company_id"].isin(company_ids)]
    parts = [companies.assign(role="company")[["company_id", "role", "name"]],
             companies.dropna(subset=["parent"]).assign(role="parent", name=lambda f: f["parent"])[
                 ["company_id", "role", "name"]],
             buyers.assign(role="buyer")[["company_id", "role", "name"]]]
    return pd.concat(parts, ignore_index=True)


def reviews(store: Store) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every review, by (screened name, list, entry)."""
    frame = store.fetch_df("SELECT subject, list_id, entry_id, decision, reviewer, reason, reviewed_at "
                           "FROM screening_reviews")
    return {(r["subject"], r["list_id"], r["entry_id"]): r for r in frame.to_dict("records")}


def chp_by_sector(store: Store) -> dict[str, list[dict[str, Any]]]:
    """The Common High Priority items each sector makes (chp_items)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in store.fetch_df("SELECT * FROM chp_items ORDER BY sector_code, tier, hs_code").to_dict("records"):
        out[row["sector_code"]].append(row)
    return dict(out)


def screen_companies(store: Store, company_ids: list[int] | None = None) -> dict[int, CompanyScreening]:
    """Screen companies (all, or the ids given): each name against each list, reviews applied, CHP flag set."""
    index = list_index(store)
    subjects = screening_subjects(store, company_ids)
    done = reviews(store)
    chp = chp_by_sector(store)
    sectors = dict(store.fetch_all("SELECT company_id, sector_code FROM companies"))
    matches_of: dict[tuple[str, bool], list[ListedMatch]] = {}
    found: dict[int, list[ScreenedMatch]] = defaultdict(list)
    screened: dict[int, list[tuple[str, str]]] = defaultdict(list)
    names: dict[int, str] = {}
    for row in subjects.itertuples(index=False):
        cid = int(row.company_id)
        screened[cid].append((row.role, row.name))
        if row.role == "company":
            names[cid] = row.name
        key = (row.name, row.role == "buyer")
        if key not in matches_of:
            matches_of[key] = match_name(index, row.name, individuals=row.role == "buyer")
        for m in matches_of[key]:
            review = done.get((row.name, m.list_id, m.entry_id))
            found[cid].append(ScreenedMatch(
                **m.model_dump(), subject=row.name, role=row.role,
                status=review["decision"] if review else "possible",
                reviewer=review["reviewer"] if review else None, reason=review["reason"] if review else None,
                reviewed_at=pd.Timestamp(review["reviewed_at"]).to_pydatetime() if review else None))
    out = {}
    for cid, subject_list in screened.items():
        results = []
        for list_id, meta in sorted(index.lists.items()):
            matched = [m for m in found[cid] if m.list_id == list_id]
            results.append(ListResult(list_id=list_id, title=meta["title"], published=meta["published"],
                                      status=_worst([m.status for m in matched]), matches=matched))
        items = chp.get(sectors.get(cid) or "", [])
        out[cid] = CompanyScreening(company_id=cid, name=names.get(cid, ""), subjects=subject_list, results=results,
                                    status=_worst([r.status for r in results]), diversion_risk=bool(items),
                                    chp_items=items)
    return out


def screening_frame(screenings: dict[int, CompanyScreening]) -> pd.DataFrame:
    """company_id, screening (status), screening_detail (what matched), diversion_risk: for tables and exports."""
    rows = []
    for cid, s in screenings.items():
        matched = [f"{m.primary_name} ({m.score:.0f})" for r in s.results for m in r.matches
                   if m.status in ("possible", "confirmed")]
        rows.append({"company_id": cid, "screening": s.status, "screening_detail": "; ".join(matched),
                     "diversion_risk": s.diversion_risk})
    return pd.DataFrame(rows, columns=["company_id", "screening", "screening_detail", "diversion_risk"])


def screen_names(store: Store, names: list[str], individuals: bool = True) -> pd.DataFrame:
    """An uploaded list of names against every stored list: one row per name and list (status, best match)."""
    index = list_index(store)
    rows = []
    for name in names:
        matches = match_name(index, name, individuals=individuals)
        for list_id, meta in sorted(index.lists.items()):
            mine = [m for m in matches if m.list_id == list_id]
            best = mine[0] if mine else None
            rows.append({"name": name, "list": meta["title"], "list_published": meta["published"],
                         "status": "possible" if best else "no_match",
                         "listed_name": best.listed_name if best else None,
                         "listed_entry": best.primary_name if best else None,
                         "entry_id": best.entry_id if best else None,
                         "programmes": best.programmes if best else None,
                         "score": round(best.score, 1) if best else None,
                         "other_matches": len(mine) - 1 if mine else 0})
    return pd.DataFrame(rows)


def diversion_text(screening: CompanyScreening) -> str:
    """Why a company carries the diversion-risk flag, in the user's words."""
    if not screening.diversion_risk:
        return _("Its sector makes none of the items on the allies' Common High Priority list.")
    items = "; ".join(f"{i['item']} (HS {i['hs_code']}, tier {i['tier']})" for i in screening.chp_items[:6])
    return _("Its sector makes goods on the Common High Priority list (EU, US, UK and Japan): the items most often "
             "re-exported to Russia for its weapons, e.g. %(items)s. The flag is the sector's, not a finding about "
             "this company: before inviting it, ask which of these it would make or sell in Kazakhstan and to "
             "whom; Kazakhstan's export controls and the allies' secondary sanctions apply.") % {"items": items}


# -- reviews ------------------------------------------------------------------------------------------------
class Review(BaseModel):
    """An editor's decision on one possible match: confirmed (it is the listed entry) or cleared (it is not)."""

    subject: str = Field(min_length=1, max_length=500)
    list_id: str = Field(min_length=1, max_length=40)
    entry_id: str = Field(min_length=1, max_length=40)
    decision: Literal["confirmed", "cleared"]
    reason: str = Field(min_length=10, max_length=2000)

    @field_validator("reason", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


def record_review(store: Store, user: User, review: Review | dict[str, Any]) -> Review:
    """Save an editor's review of a possible match (replacing an earlier one), audited with what it replaced."""
    require_editor(user, _("review a sanctions screening match"))
    review = Review.model_validate(review)
    watched_before = screening_snapshot(store)
    with store.transaction(ranking=False) as cur:
        listed = cur.execute("SELECT published FROM sanctions_lists WHERE list_id = ?", [review.list_id]).fetchone()
        entry = cur.execute("SELECT 1 FROM sanctions_names WHERE list_id = ? AND entry_id = ? LIMIT 1",
                            [review.list_id, review.entry_id]).fetchone()
        if listed is None or entry is None:
            raise ValueError(_("Entry %(entry)s is not on the stored list %(list)s; reload the page.")
                             % {"entry": review.entry_id, "list": review.list_id})
        before = cur.execute("SELECT decision, reviewer, reason FROM screening_reviews WHERE subject = ? AND "
                             "list_id = ? AND entry_id = ?", [review.subject, review.list_id, review.entry_id]
                             ).fetchone()
        cur.execute("DELETE FROM screening_reviews WHERE subject = ? AND list_id = ? AND entry_id = ?",
                    [review.subject, review.list_id, review.entry_id])
        cur.execute("INSERT INTO screening_reviews (subject, list_id, entry_id, decision, reviewer, reason, "
                    "reviewed_at, list_published) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [review.subject, review.list_id, review.entry_id, review.decision, user.name, review.reason,
                     datetime.now(), listed[0]])
        store.audit(cur, actor=user.name, action="screening_review", table="screening_reviews",
                    record_key=f"{review.subject} | {review.list_id}:{review.entry_id}",
                    before=None if before is None else dict(zip(("decision", "reviewer", "reason"), before,
                                                                strict=True)),
                    after={"decision": review.decision, "reason": review.reason, "list_published": listed[0]})
    screening_alerts(store, watched_before, user.name, f"{review.decision} by {user.name}: {review.reason}"[:200],
                     f"{review.list_id}:{review.entry_id}")
    return review


def screening_snapshot(store: Store) -> dict[int, Status]:
    """The screening result of every company someone follows (lib.alerts), to compare after a change."""
    from lib.alerts import watched_by_anyone

    watched = sorted(watched_by_anyone(store))
    return {cid: s.status for cid, s in screen_companies(store, watched).items()} if watched else {}


def screening_alerts(store: Store, before: dict[int, Status], actor: str, why: str, source: str | None) -> int:
    """Alert the watchers of each followed company whose screening result changed since `before` (a new list, a
    review); returns how many alerts were written. Run after the change commits, like eligibility alerts."""
    from lib.alerts import record_change

    written = 0
    for cid, now in screening_snapshot(store).items():
        was = before.get(cid, "no_match")
        if now != was:
            written += record_change(store, cid, "screening", f"Sanctions screening: {was.replace('_', ' ')} -> "
                                     f"{now.replace('_', ' ')} ({why})", source, actor=actor)
    return written


class ScreeningHold(ValueError):
    """A company cannot be shortlisted while a possible sanctions match is unreviewed (or once one is confirmed)."""


def check_shortlistable(store: Store, company_ids: list[int]) -> None:
    """Refuse, naming the company, the list, its date and the listed entry, if any company has an unreviewed
    possible match or a confirmed one."""
    problems = []
    for screening in screen_companies(store, company_ids).values():
        for result in screening.results:
            for m in result.matches:
                if m.status in ("possible", "confirmed"):
                    what = (_("a possible match that an editor must review first") if m.status == "possible"
                            else _("a confirmed match"))
                    problems.append(_("%(company)s: %(role)s “%(name)s” has %(what)s on the %(list)s of "
                                      "%(date)s: “%(listed)s” (score %(score).0f, %(programmes)s).")
                                    % {"company": screening.name, "role": _(ROLE_LABELS[m.role]), "name": m.subject,
                                       "what": what, "list": result.title, "date": result.published.isoformat(),
                                       "listed": m.primary_name, "score": m.score,
                                       "programmes": m.programmes or _("no programme given")})
    if problems:
        raise ScreeningHold(" ".join(problems) + " " + _("Review the match on the company's profile (Screening)."))
