"""AppTest: a round is opened, two participants submit different weightings (sliders and AHP), and the pooled
weights, the disagreement and each participant's top 10 appear; pooled weights load into the sliders."""

from streamlit.testing.v1 import AppTest

from lib import rounds
from lib.auth import User
from lib.group_weights import Submission
from lib.store import open_store
from tests.conftest import APP


def test_two_participants_submit_and_the_pooled_weights_and_disagreement_appear(app_db):
    store = open_store(app_db)
    round_id = rounds.open_round(store, User(name="Aigerim", role="editor"), "Committee")
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["round"] = str(round_id)
    at.run()
    at.switch_page("pages/weighting.py").run()
    assert not at.exception, [e.value for e in at.exception]
    # Participant 1 through the page: sliders, exit firmness first. (A 0 would veto a criterion in the
    # geometric mean, so every criterion keeps some weight here.)
    at.text_input(key="w_who").input("Aigerim")
    at.slider(key="w_sliders_exit_firmness").set_value(80)
    at.slider(key="w_sliders_company_scale").set_value(20)
    at.button(key="w_submit").click().run()
    assert not at.exception and any("Submitted" in s.value for s in at.success)
    # Participant 2 (another session): AHP judgements that favour sector priority strongly.
    rounds.submit(store, User(name="Dana", role="colleague"), round_id, Submission(
        participant="Dana", mode="ahp", judgements={"sector_priority|exit_firmness": 9,
                                                    "sector_priority|company_scale": 7}))
    at.run()
    said = at.dataframe[0].value
    assert list(said["Participant"]) == ["Aigerim", "Dana"]
    pooled = at.dataframe[1].value
    assert {"Pooled", "Lowest", "Highest"} <= set(pooled.columns)
    tops = at.dataframe[2].value
    assert set(tops["Participant"]) == {"Aigerim", "Dana", "Pooled"}
    assert tops.set_index("Participant").loc["Aigerim", "Their top 10"] != \
        tops.set_index("Participant").loc["Dana", "Their top 10"]
    at.button(key="w_load").click().run()
    assert at.session_state["w_exit_firmness"] > 0 and at.session_state["w_sector_priority"] > 0
