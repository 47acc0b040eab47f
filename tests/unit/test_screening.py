"""Screening before the call: name normalisation, matching quality on a labelled set, the lists in the store (both
backends), an editor's import of a newer list, reviews, and the shortlist's refusal of an unreviewed match."""

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from lib import store as store_module
from lib.auth import PermissionDenied, User
from lib.importer import apply_import, preview_import
from lib.models import Filters, ScoringSettings
from lib.sanctions_lists import (
    SANCTIONS_DIR,
    ListedName,
    SanctionsFileError,
    apply_list_import,
    committed_lists,
    preview_list_import,
    stored_lists,
)
from lib.screening import (
    POSSIBLE_AT,
    ScreeningHold,
    compared,
    list_index,
    match_name,
    normalise,
    record_review,
    screen_companies,
    screen_names,
)
from lib.shortlist import add_to_shortlist

EDITOR = User(name="Aigerim (data steward)", role="editor")
VIEWER = User(name="Deputy minister", role="viewer")
LABELLED = Path(__file__).parents[1] / "fixtures" / "screening" / "labelled_names.csv"
VIEW = (ScoringSettings(), Filters())


@pytest.mark.parametrize(("name", "expected"), [
    ("ПАО Сбербанк", "SBERBANK"),
    ("PAO Sberbank Rossii", "SBERBANK RUSSIA"),
    ("PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA", "SBERBANK RUSSIA"),
    ("Банк ВТБ (ПАО)", "BANK VTB"),
    ("АО «Альфа-Банк»", "ALFA BANK"),
    ("ООО «Ледвах Трейд»", "LEDVAKH TRADE"),
    ("Общество с ограниченной ответственностью Ромашка", "ROMASHKA"),
    ("Siemens AG", "SIEMENS"),
    ("Nestlé S.A.", "NESTLE"),
    ("Procter & Gamble Co.", "PROCTER GAMBLE"),
    ("ТОО «Казахтелеком»", "KAZAKHTELEKOM"),
    ("Rosneft' Treyding", "ROSNEFT TRADING"),
    ("INTERNATIONAL LIMITED LIABILITY COMPANY INTERROS CAPITAL", "INTERROS CAPITAL"),
    ("", ""),
])
def test_normalise_removes_legal_forms_and_transliterates(name, expected):
    assert normalise(name) == expected


def test_transliteration_variants_compare_equal():
    assert compared("Vneshney") == compared("Vneshnei")
    assert compared("Ledvakh") == compared("Ledvah")


@pytest.fixture(scope="module")
def sdn_store(tmp_path_factory):
    """One seeded DuckDB store for the read-only matching tests (the index is built once)."""
    db = store_module.connect(tmp_path_factory.mktemp("screening") / "radar.duckdb")
    db.load_seed()
    yield db
    db.close()


def _labelled() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_labelled_set_precision_and_recall(sdn_store):
    """Measured at the stated threshold: every listed variant found, no look-alike flagged (33 listed, 27 not)."""
    index = list_index(sdn_store)
    tp = fp = fn = 0
    misses, false_alarms = [], []
    for row in _labelled():
        matches = match_name(index, row["name"], individuals=row["kind"] == "person")
        if row["listed_as"]:
            if any(m.primary_name == row["listed_as"] for m in matches):
                tp += 1
            else:
                fn += 1
                misses.append(row["name"])
        elif matches:
            fp += 1
            false_alarms.append((row["name"], matches[0].primary_name, matches[0].score))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert (tp + fn, len(_labelled()) - tp - fn) == (33, 27)  # listed variants, look-alikes
    assert recall >= 0.95, misses
    assert precision >= 0.95, false_alarms


def test_a_lower_threshold_lets_a_look_alike_through(sdn_store):
    """The threshold matters: at 90, Kazakhstan's Halyk Bank resembles a listed North Korean bank's alias."""
    index = list_index(sdn_store)
    assert match_name(index, "Halyk Bank", possible_at=90)
    assert not match_name(index, "Halyk Bank", possible_at=POSSIBLE_AT)


def test_people_are_matched_only_when_a_buyer_may_be_one(sdn_store):
    index = list_index(sdn_store)
    assert not match_name(index, "Vladimir Potanin")  # a company name is compared with listed entities only
    assert match_name(index, "Vladimir Potanin", individuals=True)[0].primary_name == "POTANIN, Vladimir Olegovich"
    assert not match_name(index, "Daher group")  # a listed person named Daher is no company


def test_screening_an_uploaded_list_gives_a_row_per_name_and_list(sdn_store):
    frame = screen_names(sdn_store, ["Банк ВТБ (ПАО)", "Kaspi Bank"])
    assert frame["status"].tolist() == ["possible", "no_match"]
    assert frame.loc[0, "listed_entry"] == "VTB BANK PUBLIC JOINT STOCK COMPANY"
    assert frame.loc[0, "list_published"] == date(2024, 5, 3)
    assert "RUSSIA-EO14024" in frame.loc[0, "programmes"]


def test_buyers_and_the_diversion_flag_are_screened(sdn_store):
    companies = sdn_store.companies().set_index("name")
    socgen = screen_companies(sdn_store, [int(companies.loc["Societe Generale", "company_id"])])
    result = next(iter(socgen.values()))
    assert ("buyer", "Interros Capital") in result.subjects
    assert result.status == "possible"
    assert {m.role for m in result.needs_review} == {"buyer"}
    ids = companies[companies["sector_code"].isin(["ITC", "FIN"])].groupby("sector_code")["company_id"].first()
    screened = screen_companies(sdn_store, [int(ids["ITC"]), int(ids["FIN"])])
    assert screened[int(ids["ITC"])].diversion_risk and screened[int(ids["ITC"])].chp_items
    assert not screened[int(ids["FIN"])].diversion_risk


def test_the_committed_list_is_valid_and_compared_as_the_code_compares():
    """Guards the stored compared names: a change to normalise() needs scripts/build_sanctions.py run again."""
    (meta, path), = committed_lists(SANCTIONS_DIR)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for row in frame.sample(2000, random_state=1).to_dict("records"):
        ListedName.model_validate(row)
        assert row["compared"] == compared(row["name"]), row["name"]
    assert meta.published == date(2024, 5, 3)
    assert set(frame["entry_type"]) == {"entity", "individual"}


# -- the store: both backends ----------------------------------------------------------------------------------
def test_the_migration_loads_the_list_with_its_date(store):
    lists = stored_lists(store)
    assert lists["list_id"].tolist() == ["ofac_sdn"]
    assert pd.Timestamp(lists.loc[0, "published"]).date() == date(2024, 5, 3)
    committed = sum(1 for _row in open(SANCTIONS_DIR / "ofac_sdn_names.csv", encoding="utf-8")) - 1
    assert int(lists.loc[0, "names"]) == committed == store.fetch_one("SELECT count(*) FROM sanctions_names")[0]
    assert store.fetch_one("SELECT count(*) FROM chp_items")[0] > 20
    buyers = store.company_facts().query("fact == 'russia_buyer'")
    assert "Ledvakh Trade" in set(buyers[buyers["company"] == "3M"]["value"])


def _import_candidate(store, name: str) -> int:
    preview = preview_import(store, f"name,hq_country,status\n{name},Russia,Digging in\n".encode(), "new.csv")
    apply_import(store, EDITOR, preview)
    return int(store.fetch_one("SELECT company_id FROM companies WHERE name = ?", [name])[0])


def test_a_listed_bank_imported_under_another_spelling_is_held_until_reviewed(store):
    company_id = _import_candidate(store, "PAO Sberbank Rossii")
    screening = screen_companies(store, [company_id])[company_id]
    assert screening.status == "possible"
    sdn = screening.results[0]
    assert sdn.published == date(2024, 5, 3)
    by_entry = {m.primary_name: m for m in sdn.matches}
    assert "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA" in by_entry
    with pytest.raises(ScreeningHold, match="2024-05-03.*SBERBANK OF RUSSIA"):
        add_to_shortlist(store, EDITOR, [{"company_id": company_id}], VIEW)
    assert store.fetch_one("SELECT count(*) FROM shortlist WHERE company_id = ?", [company_id])[0] == 0

    match = by_entry["PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA"]
    review = {"subject": match.subject, "list_id": "ofac_sdn", "entry_id": match.entry_id,
              "decision": "confirmed", "reason": "Same bank: Sberbank of Russia, SWIFT SABRRUMM."}
    with pytest.raises(PermissionDenied):
        record_review(store, VIEWER, review)
    with pytest.raises(ValueError):
        record_review(store, EDITOR, review | {"reason": "same"})  # a reason of a few words at least
    record_review(store, EDITOR, review)
    assert screen_companies(store, [company_id])[company_id].status == "confirmed"
    with pytest.raises(ScreeningHold, match="confirmed match"):
        add_to_shortlist(store, EDITOR, [{"company_id": company_id}], VIEW)
    log = store.fetch_df("SELECT actor, action, record_key, after FROM audit_log WHERE action = 'screening_review'")
    assert log["actor"].tolist() == [EDITOR.name]
    assert "Sberbank Rossii" in log.loc[0, "record_key"] and "confirmed" in log.loc[0, "after"]


def test_a_cleared_match_lets_the_company_on_the_shortlist(store):
    from lib import alerts

    company_id = _import_candidate(store, "Rosbank")
    watcher = User(name="Dana (outreach)", role="colleague")
    alerts.watch(store, watcher, company_id)
    for match in screen_companies(store, [company_id])[company_id].needs_review:
        record_review(store, EDITOR, {"subject": match.subject, "list_id": match.list_id,
                                      "entry_id": match.entry_id, "decision": "cleared",
                                      "reason": "Our Rosbank is a bakery in Almaty, not a bank."})
    assert screen_companies(store, [company_id])[company_id].status == "cleared"
    told = alerts.alerts_for(store, watcher)  # the watcher hears that the result changed, and why
    assert len(told) == 1 and "possible -> cleared" in told.loc[0, "summary"] and "bakery" in told.loc[0, "summary"]
    assert add_to_shortlist(store, EDITOR, [{"company_id": company_id}], VIEW).added == [company_id]


def test_a_look_alike_is_not_held(store):
    company_id = _import_candidate(store, "Kamax")
    assert screen_companies(store, [company_id])[company_id].status == "no_match"
    assert add_to_shortlist(store, EDITOR, [{"company_id": company_id}], VIEW).added == [company_id]


SDN_XML = """<?xml version="1.0" standalone="yes"?>
<sdnList xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">
  <publshInformation><Publish_Date>11/20/2026</Publish_Date><Record_Count>2</Record_Count></publshInformation>
  <sdnEntry><uid>17018</uid><lastName>PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA</lastName><sdnType>Entity</sdnType>
    <programList><program>RUSSIA-EO14024</program></programList>
    <akaList><aka><uid>1</uid><type>a.k.a.</type><category>strong</category><lastName>SBERBANK</lastName></aka></akaList>
  </sdnEntry>
  <sdnEntry><uid>99001</uid><lastName>NEW LISTED TRADING LLC</lastName><sdnType>Entity</sdnType>
    <programList><program>RUSSIA-EO14024</program></programList></sdnEntry>
  <sdnEntry><uid>99002</uid><lastName>SOME VESSEL</lastName><sdnType>Vessel</sdnType></sdnEntry>
</sdnList>"""


def test_an_editor_replaces_the_list_with_a_newer_official_file(store):
    preview = preview_list_import(store, SDN_XML.encode(), "sdn.xml")
    assert preview.meta.published == date(2026, 11, 20) and preview.stored_published == date(2024, 5, 3)
    assert preview.entries == 2 and "NEW LISTED TRADING LLC" in preview.added_entries
    assert len(preview.dropped_entries) > 10_000
    with pytest.raises(PermissionDenied):
        apply_list_import(store, VIEWER, preview)
    apply_list_import(store, EDITOR, preview)
    lists = stored_lists(store)
    assert pd.Timestamp(lists.loc[0, "published"]).date() == date(2026, 11, 20) and lists.loc[0, "entries"] == 2
    assert [m.primary_name for m in match_name(list_index(store), "New Listed Trading")] == ["NEW LISTED TRADING LLC"]
    log = store.fetch_df("SELECT actor, source_file FROM audit_log WHERE action = 'sanctions_list_import'")
    assert log.values.tolist() == [[EDITOR.name, "sdn.xml"]]


def test_a_new_list_that_changes_a_watched_result_alerts_its_watchers_once(store):
    from lib import alerts

    watcher = User(name="Dana (outreach)", role="colleague")
    listed_later = _import_candidate(store, "New Listed Trading")
    clean = _import_candidate(store, "Kamax")
    for cid in (listed_later, clean):
        alerts.watch(store, watcher, cid)
    assert screen_companies(store, [listed_later])[listed_later].status == "no_match"
    preview = preview_list_import(store, SDN_XML.encode(), "sdn.xml")
    apply_list_import(store, EDITOR, preview)
    mine = alerts.alerts_for(store, watcher)
    assert mine["company_id"].tolist() == [listed_later] and mine["kind"].tolist() == ["screening"]
    assert "no match -> possible" in mine.loc[0, "summary"] and "2026-11-20" in mine.loc[0, "summary"]
    assert alerts.alerts_for(store, EDITOR).empty  # the editor who replaced the list knows already
    apply_list_import(store, EDITOR, preview_list_import(store, SDN_XML.encode(), "sdn.xml"))  # the same file again
    assert len(alerts.alerts_for(store, watcher)) == 1


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"<sdnList><sdnEntry><uid>1</uid>", "sdn.xml", "sdn.xml is not well-formed XML"),
    (b"<consolidatedList/>", "sdn.xml", "not OFAC's SDN list"),
    (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><sdnList>&a;</sdnList>', "bomb.xml", "bomb.xml is not well-formed XML"),
    (b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"\n', "sdn.csv", "sdn.csv row 1 is not an SDN record"),
    (b"\x00\x01binary", "sdn.csv", "binary file"),
    (b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n', "sdn.csv",
     "does not say when it was published"),
])
def test_a_bad_list_file_is_refused_and_changes_nothing(store, data, filename, message):
    before = store.table_checksums()
    with pytest.raises(SanctionsFileError, match=message):
        preview_list_import(store, data, filename)
    assert store.table_checksums() == before


def test_a_company_ranked_under_a_listed_parent_is_held_too(store):
    parent = _import_candidate(store, "Sovcombank")
    child = _import_candidate(store, "Sovco Leasing Kazakhstan")
    assert screen_companies(store, [child])[child].status == "no_match"
    with store.transaction() as cur:
        cur.execute("UPDATE companies SET group_parent_id = ? WHERE company_id = ?", [parent, child])
    screening = screen_companies(store, [child])[child]
    assert screening.status == "possible"
    assert {(m.role, m.subject) for m in screening.needs_review} == {("parent", "Sovcombank")}
    with pytest.raises(ScreeningHold, match="its group parent “Sovcombank”"):
        add_to_shortlist(store, EDITOR, [{"company_id": child}], VIEW)
