"""Charts keep their meaning across languages."""

import pandas as pd
import pytest

from lib.charts import breakdown_chart
from lib.i18n import _, set_language


@pytest.mark.parametrize("code", ["en", "ru", "kk"])
def test_breakdown_colours_do_not_swap_between_languages(code):
    set_language(code)
    frame = pd.DataFrame({"criterion": ["a", "a"], "who": [_("Top-10 average"), _("This company")],
                          "contribution": [0.1, 0.2]})
    color = breakdown_chart(frame).to_dict()["encoding"]["color"]
    # The company is always the dark bar and listed first, whatever the labels' alphabetical order.
    assert color["scale"]["domain"] == [_("This company"), _("Top-10 average")]
    assert color["scale"]["range"][0] == "#0068c9"
    set_language("en")
