from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError

from leadwire.core.rules import Duration, DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", timedelta(hours=1)),
        ("P14D", timedelta(days=14)),
        ("P1W", timedelta(weeks=1)),
        ("PT30M", timedelta(minutes=30)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("PT45S", timedelta(seconds=45)),
        ("P2W3D", timedelta(days=17)),
        ("P1DT1H1M1S", timedelta(days=1, hours=1, minutes=1, seconds=1)),
    ],
)
def test_fixed_length_duration_parses_to_timedelta(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P1M", "P1Y", "P1Y2M", "P1MT2H", "P2Y3D"])
def test_months_and_years_are_refused_as_ambiguous(text: str) -> None:
    with pytest.raises(DurationError, match="months or years, which have no fixed length"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["", "P", "PT", "1D", "PT1.5H", "p1d", "P-1D", "P1DT", "PT1H30", "P1H"])
def test_malformed_duration_is_refused(text: str) -> None:
    with pytest.raises(DurationError, match="is not an ISO 8601 duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P0D", "PT0S", "P0W"])
def test_zero_duration_is_refused(text: str) -> None:
    with pytest.raises(DurationError, match="longer than zero"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "canonical"), [("PT1H", "PT1H"), ("P1W", "P7D"), ("PT90M", "PT1H30M"), ("P1DT2H", "P1DT2H")]
)
def test_duration_formats_back_to_its_shortest_text(text: str, canonical: str) -> None:
    assert format_duration(parse_duration(text)) == canonical


class _Window(BaseModel):
    within: Duration


def test_duration_field_validates_text_and_serialises_back() -> None:
    # Given a model with a Duration field
    # When it is validated from text and dumped
    window = _Window.model_validate({"within": "P1DT2H"})
    # Then it holds a timedelta and dumps ISO text
    assert window.within == timedelta(days=1, hours=2)
    assert window.model_dump(mode="json") == {"within": "P1DT2H"}


@pytest.mark.parametrize("raw", [3600, 1.5, None, ["PT1H"]])
def test_duration_field_refuses_non_text(raw: object) -> None:
    with pytest.raises(ValidationError, match="ISO 8601 text"):
        _Window.model_validate({"within": raw})
