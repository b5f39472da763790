"""Unit tests of filter_plugins/sizes.py."""

from __future__ import annotations

import pytest
import sizes
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("512M", 512 * 1024**2),
        ("512mb", 512 * 1024**2),
        ("2G", 2 * 1024**3),
        ("1.5GiB", 1536 * 1024**2),
        ("64k", 64 * 1024),
        (" 1T ", 1024**4),
        ("4096", 4096),
        (4096, 4096),
        (0, 0),
    ],
)
def test_sizes_are_read_in_binary_multiples(value, expected):
    assert sizes.size_bytes(value) == expected


def test_size_mb_rounds_down():
    assert sizes.size_mb("1536k") == 1
    assert sizes.size_mb("2G") == 2048


@pytest.mark.parametrize("value", ["lots", "", "12 apples", "M", "-5M", "1.5", "5MM", None, True, [512], -1])
def test_what_is_not_a_size_is_refused_with_the_variable_named(value):
    with pytest.raises(AnsibleFilterError, match=r"^redis_maxmemory: "):
        sizes.size_bytes(value, "redis_maxmemory")


@given(st.integers(min_value=0, max_value=2**20), st.sampled_from(["K", "M", "G", "kb", "MiB", "g"]))
def test_any_whole_number_with_a_unit_round_trips(number, unit):
    power = {"k": 1, "m": 2, "g": 3}[unit[0].lower()]
    assert sizes.size_bytes(f"{number}{unit}") == number * 1024**power


def test_filters_are_registered():
    assert set(sizes.FilterModule().filters()) == {"size_bytes", "size_mb"}
