"""The investment estimate per company: Russian revenue (or staff) over the sector's capital intensity, scaled."""

import math

import pandas as pd
import pytest

from lib.investment import CAPITAL_INTENSITY, KZ_SHARE_OF_RUSSIA, estimate_frame, russian_revenue


def test_kazakhstans_share_of_russias_economy_is_about_a_seventh():
    assert KZ_SHARE_OF_RUSSIA == pytest.approx(14_770 * 20_201_849 / (14_260 * 146_028_325))
    assert 0.13 < KZ_SHARE_OF_RUSSIA < 0.16


def test_estimate_from_russian_revenue_and_the_sectors_capital_intensity():
    companies = pd.DataFrame({"company_id": [1], "sector_code": ["HLT"], "russia_revenue_usd_m": [640.0],
                              "russia_employees": [None], "revenue_worldwide_usd_m": [None],
                              "employees_worldwide": [None]})
    row = estimate_frame(companies).iloc[0]
    capital = 640.0 / CAPITAL_INTENSITY["HLT"].sales_to_capital  # 1,000 USD m behind the Russian business
    assert capital == pytest.approx(1000.0)
    assert row["investment_point"] == pytest.approx(capital * KZ_SHARE_OF_RUSSIA) == row["investment_low"]
    assert row["investment_high"] == pytest.approx(capital)
    assert row["investment_basis"] == "russia_revenue"


def test_staff_times_revenue_per_employee_when_the_russian_revenue_is_unknown():
    company = {"russia_revenue_usd_m": None, "russia_employees": 2_000, "revenue_worldwide_usd_m": 50_000.0,
               "employees_worldwide": 100_000}
    assert russian_revenue(company) == (pytest.approx(1_000.0), "russia_employees")
    assert russian_revenue(company | {"employees_worldwide": None}) == (None, None)


def test_no_estimate_without_a_capital_intensity_or_a_russian_size():
    companies = pd.DataFrame({"company_id": [1, 2], "sector_code": ["FIN", "IND"],
                              "russia_revenue_usd_m": [500.0, None], "russia_employees": [None, None],
                              "revenue_worldwide_usd_m": [None, 9000.0], "employees_worldwide": [None, 100]})
    frame = estimate_frame(companies)
    assert frame["investment_point"].isna().all()
    assert all(b is None or (isinstance(b, float) and math.isnan(b)) for b in frame["investment_basis"])
