"""The baseline of the slider benchmark: a bare page with one slider and st.dataframe of the ranked rows.

Same store, same rows and columns as the Rank page, nothing else: the slider re-sorts the rows by a
weighted sum (one matrix-vector product). `python -m bench` times slider -> updated table on this page and
on the Rank page in the same run; the ratio is what the app adds.
"""

import numpy as np
import streamlit as st

from lib.criteria import CRITERION_IDS, DEFAULT_WEIGHTS
from lib.models import ScoringSettings
from lib.radar import load_universe
from lib.scoring import criteria_matrix, rank_companies
from lib.store import db_path, open_store


@st.cache_resource
def ranked():
    universe = load_universe(open_store(db_path()))
    table = rank_companies(universe.companies, universe.values, ScoringSettings()).table
    matrix = criteria_matrix(universe.companies, universe.values, ScoringSettings())
    x = matrix.set_index("company_id").loc[table["company_id"], list(CRITERION_IDS)].to_numpy(dtype=float)
    return table[["rank", "name", "sector_code", "hq_country", "status", "score", "completeness"]], x


table, x = ranked()
weight = st.slider("Company scale", 0, 100, int(DEFAULT_WEIGHTS["company_scale"]))
w = np.array([weight if c == "company_scale" else DEFAULT_WEIGHTS[c] for c in CRITERION_IDS], dtype=float)
scores = x @ (w / w.sum())
order = np.argsort(-scores, kind="stable")
st.dataframe(table.iloc[order].assign(score=scores[order], rank=np.arange(1, len(order) + 1)), hide_index=True)
