"""The service's optional bearer token: read from the environment, checked at start (HTTP: test_service)."""

import pytest

from mlkit.errors import ParamError
from mlkit.serving import TOKEN_VARIABLE, bearer_guard


def test_no_token_means_no_guard(monkeypatch):
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    assert bearer_guard() == []
    monkeypatch.setenv(TOKEN_VARIABLE, "")
    assert bearer_guard() == []


def test_a_token_in_the_environment_guards(monkeypatch):
    monkeypatch.setenv(TOKEN_VARIABLE, "abc-DEF_123.~+/==")
    assert len(bearer_guard()) == 1


@pytest.mark.parametrize("token", ["two words", "tab\there", "naïve", "=leading", "semi;colon"])
def test_a_token_a_header_cannot_carry_stops_the_service_naming_the_variable(token):
    with pytest.raises(ParamError, match=TOKEN_VARIABLE):
        bearer_guard(token)
