"""hsprobe.baseline: parsing (every bad line reported as file:line), classification of a verdict
against an entry, stale entries, and the --update-baseline candidate."""

import pytest

from hsprobe import baseline as bl
from hsprobe.baseline import Kind


def parse(text, tmp_path):
    return bl.parse(text, tmp_path / "baseline.tsv")


def test_parses_entries_comments_and_blank_lines(tmp_path):
    b = parse("# tor 0.4.9.11\n# second comment\n\n"
              "tor.a\tpass\n"
              "tor.b\txfail\ttor does not check the Ed25519 cert type\n"
              "  # indented comment\n"
              "tor.c\tunsupported\tresponder role not implemented\n"
              "tor.d\tpass\tnote on a pass is allowed\n", tmp_path)
    assert b.preamble == ["# tor 0.4.9.11", "# second comment"]
    assert {e.id: (e.expected, e.reason, e.line) for e in b.entries.values()} == {
        "tor.a": ("pass", "", 4),
        "tor.b": ("xfail", "tor does not check the Ed25519 cert type", 5),
        "tor.c": ("unsupported", "responder role not implemented", 7),
        "tor.d": ("pass", "note on a pass is allowed", 8)}


@pytest.mark.parametrize("line, needle", [
    ("tor.a\txfail", "needs a reason"),
    ("tor.a\txfail\t   ", "needs a reason"),
    ("tor.a\tunsupported\t", "needs a reason"),
    ("tor.a\tfail\treason", "'fail' is not one of pass, xfail, unsupported"),
    ("tor.a pass", "found 1 tab-separated field"),
    ("tor.a\txfail\twhy\textra", "found 4 tab-separated field"),
    ("Tor.A\tpass", "is not a scenario id"),
])
def test_bad_line_is_an_error_with_file_and_line(tmp_path, line, needle):
    with pytest.raises(bl.BaselineError) as ei:
        parse(f"# header\ntor.ok\tpass\n{line}\n", tmp_path)
    assert len(ei.value.errors) == 1
    err = ei.value.errors[0]
    assert err.startswith(f"{tmp_path / 'baseline.tsv'}:3: "), err
    assert needle in err


def test_every_bad_line_is_reported_not_just_the_first(tmp_path):
    with pytest.raises(bl.BaselineError) as ei:
        parse("tor.a\txfail\ntor.b\tpass\ntor.b\tpass\ntor.c\tmaybe\n", tmp_path)
    lines = [e.split(": ", 1)[0].rsplit(":", 1)[1] for e in ei.value.errors]
    assert lines == ["1", "3", "4"]
    assert "duplicate id tor.b (first at line 2)" in ei.value.errors[1]


def test_missing_file_is_an_empty_baseline(tmp_path):
    b = bl.load(tmp_path / "nope.tsv")
    assert not b.exists and b.entries == {}
    assert bl.classify("pass", b.get("tor.a")).kind is Kind.MISSING


E = {x: bl.Entry("tor.a", x, "" if x == "pass" else f"why {x}", 1)
     for x in ("pass", "xfail", "unsupported")}


@pytest.mark.parametrize("verdict, expected, kind", [
    ("pass", "pass", Kind.OK_PASS),
    ("pass", "xfail", Kind.XPASS),
    ("pass", "unsupported", Kind.XPASS),
    ("fail", "pass", Kind.FAIL),
    ("fail", "xfail", Kind.OK_XFAIL),
    ("fail", "unsupported", Kind.FAIL),
    ("unsupported", "unsupported", Kind.OK_UNSUPPORTED),
    ("unsupported", "pass", Kind.FAIL),
    ("unsupported", "xfail", Kind.FAIL),
    ("error", "pass", Kind.ERROR),
    ("error", "xfail", Kind.ERROR),
    ("error", None, Kind.ERROR),
    ("pass", None, Kind.MISSING),
    ("fail", None, Kind.MISSING),
    ("bogus", "pass", Kind.ERROR),
])
def test_classify(verdict, expected, kind):
    c = bl.classify(verdict, E[expected] if expected else None)
    assert c.kind is kind
    assert c.ok == (kind in (Kind.OK_PASS, Kind.OK_XFAIL, Kind.OK_UNSUPPORTED))


def test_classify_carries_the_baseline_reason():
    assert bl.classify("fail", E["xfail"]).explanation == "why xfail"
    assert bl.classify("unsupported", E["unsupported"]).explanation == "why unsupported"
    stale = bl.classify("pass", E["xfail"]).explanation
    assert stale == "baseline stale: expected xfail (why xfail) but conformed"


def test_stale_entries_are_ids_without_a_scenario(tmp_path):
    b = parse("tor.a\tpass\ntor.gone\tpass\ntor.b\txfail\twhy\n", tmp_path)
    assert [e.id for e in bl.stale_entries(b, ["tor.a", "tor.b", "tor.new"])] == ["tor.gone"]


def test_candidate_keeps_reasons_adds_todo_and_drops_stale(tmp_path):
    path = tmp_path / "baseline.tsv"
    original = ("# tor-relay baseline\n"
                "tor.a\tpass\n"
                "tor.b\txfail\tknown: tor skips the check\n"
                "tor.c\txfail\tfixed upstream?\n"
                "tor.d\tpass\n"
                "tor.gone\tpass\n"
                "tor.e\tunsupported\tno responder role yet\n")
    path.write_text(original)
    base = bl.load(path)
    observed = {"tor.a": ("fail", "closed\twith\nRST"),       # regression -> new xfail, TODO
                "tor.b": ("fail", "answered"),                  # still xfail -> reason kept
                "tor.c": ("pass", "ok"),                        # conforms now -> pass
                "tor.d": ("error", "target exited"),            # no verdict -> old entry kept
                "tor.new": ("unsupported", "mitm not implemented"),
                "tor.new2": ("error", "engine crashed")}
    known = ["tor.a", "tor.b", "tor.c", "tor.d", "tor.e", "tor.new", "tor.new2"]
    out = bl.write_candidate(base, observed, known)
    assert out == tmp_path / "baseline.tsv.candidate"
    assert path.read_text() == original  # the baseline itself is never touched
    text = out.read_text()
    lines = text.splitlines()
    assert lines[0] == "# tor-relay baseline"
    assert "tor.a\txfail\tTODO: explain (observed: closed with RST)" in lines
    assert "tor.b\txfail\tknown: tor skips the check" in lines
    assert "tor.c\tpass" in lines
    assert "tor.d\tpass" in lines
    assert "tor.e\tunsupported\tno responder role yet" in lines  # not run: kept
    assert "tor.new\tunsupported\tTODO: explain (observed: mitm not implemented)" in lines
    assert any(l.startswith("# tor.new2\t") and "engine crashed" in l for l in lines)
    assert "# dropped (no scenario has these ids any more): tor.gone" in lines
    # The candidate is itself a valid baseline, and it satisfies every verdict observed.
    cand = bl.parse(text, out)
    for sid, (verdict, _msg) in observed.items():
        if verdict != "error":
            assert bl.classify(verdict, cand.get(sid)).ok, sid
    assert cand.get("tor.new2") is None and cand.get("tor.gone") is None
