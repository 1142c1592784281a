"""Settings from the environment: defaults and refusing values that would break the app."""

from __future__ import annotations

import pytest

from budget_core.config import DEFAULT_POLL_MS, load_settings


def test_without_settings_sessions_poll_as_a_fallback_and_are_woken_by_changes(tmp_path):
    settings = load_settings({"BUDGET_DATA_DIR": str(tmp_path)})
    assert settings.poll_ms == DEFAULT_POLL_MS == 5000
    assert settings.wake_sessions is True


@pytest.mark.parametrize("raw", ["0", "off", "false", "No"])
def test_waking_sessions_can_be_switched_off(tmp_path, raw):
    assert load_settings({"BUDGET_DATA_DIR": str(tmp_path), "BUDGET_WAKE_SESSIONS": raw}).wake_sessions is False


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "1.5", "99999999"])
def test_a_poll_interval_that_is_not_a_sensible_number_of_milliseconds_is_refused_with_the_allowed_range(tmp_path, raw):
    with pytest.raises(ValueError, match="BUDGET_POLL_MS must be a whole number of milliseconds from 100 to 3600000"):
        load_settings({"BUDGET_DATA_DIR": str(tmp_path), "BUDGET_POLL_MS": raw})


def test_a_poll_interval_in_range_is_taken(tmp_path):
    assert load_settings({"BUDGET_DATA_DIR": str(tmp_path), "BUDGET_POLL_MS": " 750 "}).poll_ms == 750
