"""A dashboard handler failing in a way no refusal foresaw: the operator finds the traceback in
the dashboard's log, the seller reads a calm sentence in both languages, never Python's words."""

from __future__ import annotations

import logging

from web.app import unexpected


def test_an_unexpected_failure_is_logged_for_the_operator_and_said_calmly_to_the_seller(caplog):
    try:
        {}["missing"]
    except KeyError as error:
        with caplog.at_level(logging.ERROR, logger="web"):
            shown = unexpected(error)
    logged = caplog.records[-1]
    assert logged.exc_info and logged.exc_info[0] is KeyError  # the traceback, for the operator
    said = str(shown.args)
    assert "Terjadi kesalahan" in said and "Something went wrong" in said
    assert "KeyError" not in said and "missing" not in said and "Traceback" not in said
