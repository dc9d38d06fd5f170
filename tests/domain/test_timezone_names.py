"""A timezone name that is a folder of the zone database ("America") is a clear error."""

from __future__ import annotations

import pytest

from crm_whatsapp.domain.errors import InvalidBotRules, InvalidQueryParameter
from crm_whatsapp.domain.policy import BusinessHours
from crm_whatsapp.domain.statistics import check_statistics_range


@pytest.mark.parametrize("name", ["America", "Europe", "", "America/", "No/Such_Zone"])
def test_statistics_refuse_a_name_that_is_no_zone(name: str) -> None:
    with pytest.raises(InvalidQueryParameter, match="timezone"):
        check_statistics_range(None, None, name)


@pytest.mark.parametrize("name", ["America", "Europe", "No/Such_Zone"])
def test_business_hours_refuse_a_name_that_is_no_zone(name: str) -> None:
    with pytest.raises(InvalidBotRules, match=r"business_hours\.timezone"):
        BusinessHours(timezone=name)
