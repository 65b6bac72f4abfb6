"""The label catalog's palette and relabelling."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.label_catalog import COLOURS, DEFAULT_COLOUR, relabelled, valid_colour


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_every_colour_carries_white_text_at_wcag_aa() -> None:
    for colour in COLOURS:
        contrast = 1.05 / (_luminance(colour) + 0.05)
        assert contrast >= 4.5, (colour, round(contrast, 2))
    assert len(set(COLOURS)) == len(COLOURS) == 10 and DEFAULT_COLOUR in COLOURS


def test_only_palette_colours_are_valid_in_any_case() -> None:
    assert valid_colour(" #B91C1C ").unwrap() == "#b91c1c"
    for wrong in ("#123456", "red", "", "b91c1c"):
        assert "colour must be one of" in valid_colour(wrong).failure().message


names = st.sampled_from(["vip", "diabetes", "retorno", "urgente"])


@given(st.sets(names).map(lambda found: tuple(sorted(found))), names, st.none() | names)
def test_relabelling_replaces_merges_or_removes(
    labels: tuple[str, ...], old: str, new: str | None
) -> None:
    result = relabelled(labels, old, new)
    assert result == tuple(sorted(set(result)))
    assert old not in result or old == new
    if old in labels and new is not None:
        assert new in result
    if old not in labels:
        assert result == labels
    assert set(result) - {new} <= set(labels)
