"""Values Scoro sends that a database refuses: year-less dates and NUL characters are made the same
on SQLite, PostgreSQL and DuckDB, counted in the summary, and never stop an object."""

from __future__ import annotations

from datetime import date

from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.replicate.rows import BAD_DATE, NUL, YEARLESS
from tests.replicate.test_replicate import BACKENDS, mirror_url, rows  # noqa: F401  (fixture)


def person(connector, last: str, birthday: str, comments: str = "") -> int:
    saved = connector.client.modify("contacts", {"name": "Ann", "lastname": last, "contact_type": "person",
                                                 "birthday": birthday, "comments": comments})
    return int(saved["contact_id"])


def test_year_less_dates_and_nul_text_mirror_alike_everywhere(connector, mirror_url):  # noqa: F811
    leap = person(connector, "Leap", "0000-02-29", "nul\x00inside")
    plain = person(connector, "Plain", "0000-01-20")
    bad = person(connector, "Bad", "0000-13-45")
    summary = replicate(connector, mirror_url, ReplicateOptions(objects=["People"]))
    assert summary.failed == []
    result = summary.objects["People"]
    assert result.cleaned == {YEARLESS: 2, NUL: 1, BAD_DATE: 1} and result.cleaned_rows == 3
    got = {int(r[0]): (r[1], r[2]) for r in rows(
        mirror_url, 'SELECT "Id", "Birthday", "Comments" FROM "People" WHERE "Id" IN (?, ?, ?)', (leap, plain, bad))}
    as_date = {k: (date.fromisoformat(str(v[0])[:10]) if v[0] is not None else None, v[1]) for k, v in got.items()}
    assert as_date[leap] == (date(1604, 2, 29), "nulinside")
    assert as_date[plain][0] == date(1604, 1, 20)
    assert as_date[bad][0] is None
    again = replicate(connector, mirror_url, ReplicateOptions(objects=["People"], full=True))
    assert again.failed == [] and again.objects["People"].rows == 0  # cleaned rows hash the same: not rewritten
