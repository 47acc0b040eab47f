"""Packages at the boundary: rows of the incentive_packages table parsed into models, and what they offer where."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd

from lib.i18n import translate
from lib.models import IncentivePackage


def _is_set(value: Any) -> bool:
    """False for None, NaN and pandas' NA (nullable integer columns)."""
    if value is None or value is pd.NA:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _clean(value: Any) -> Any:
    """A DataFrame cell as a plain Python value: arrays become lists, missing becomes None."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        return value.tolist()
    return value if _is_set(value) else None


def parse_packages(rows: pd.DataFrame | Iterable[Mapping[str, Any] | IncentivePackage]) -> list[IncentivePackage]:
    """Rows of the incentive_packages table (a DataFrame or dicts) validated as IncentivePackage models."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
    packages = []
    for row in records:
        if isinstance(row, IncentivePackage):
            packages.append(row)
        else:
            packages.append(IncentivePackage.model_validate({k: _clean(v) for k, v in row.items()}))
    return packages


def as_package(package: IncentivePackage | Mapping[str, Any]) -> IncentivePackage:
    """One package as a model (a table row is validated)."""
    return package if isinstance(package, IncentivePackage) else parse_packages([package])[0]


def sector_name_map(sectors: pd.DataFrame) -> dict[str, str]:
    """Sector code -> English name from the sectors table, so reasons can name sectors (translated when shown)."""
    return dict(zip(sectors["sector_code"], sectors["name"], strict=True))


def in_force(packages: Iterable[IncentivePackage], when: date) -> list[IncentivePackage]:
    """The packages one could apply for on `when`."""
    return [p for p in packages if p.valid_from <= when and (p.valid_to is None or when <= p.valid_to)]


def locations(packages: Iterable[IncentivePackage]) -> list[str]:
    """Every city named by a package's location rule, sorted."""
    return sorted({city for p in packages for city in p.locations})


def zones_by_location(packages: Iterable[IncentivePackage]) -> dict[str, list[str]]:
    """City -> names of the zone-bound packages (SEZ, AIFC) sited only there, to label the location choice."""
    zones: dict[str, list[str]] = {}
    for p in packages:
        if len(p.locations) == 1:
            zones.setdefault(p.locations[0], []).append(translate(p.name))
    return zones
