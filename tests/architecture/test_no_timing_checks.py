"""Performance is measured by the benchmarks, never asserted by a test.

Hypothesis's per-example deadline is such an assertion (an example slower than 200 ms fails),
so the suite's profile switches it off, and a property test that sets its own settings without
naming a deadline inherits that.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st


def test_the_suite_profile_has_no_per_example_deadline() -> None:
    assert settings().deadline is None


@settings(max_examples=3)
@given(st.integers())
def _a_property_with_its_own_settings(value: int) -> None:
    assert isinstance(value, int)


def test_own_settings_without_a_deadline_inherit_none() -> None:
    assert settings(max_examples=3).deadline is None
    _a_property_with_its_own_settings()
