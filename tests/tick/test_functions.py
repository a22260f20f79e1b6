"""Built-in lambda functions called directly: conversions, math, strings, regex, time and state."""

from __future__ import annotations

import math
import re

import pytest

from kapacitrio.tick import functions
from kapacitrio.tick.errors import EvalError
from kapacitrio.tick.functions_math import jn, yn
from kapacitrio.tick.regex import compile_re2
from kapacitrio.tick.values import MISSING, Duration, Time

S = 1_000_000_000


def call(name, *args):
    return functions.call(name, list(args))


def test_conversions():
    assert call("bool", "T") is True
    assert call("bool", 0.0) is False
    assert call("int", -2.9) == -2
    assert call("int", "+42") == 42
    assert call("float", "1e3") == 1000.0
    assert call("string", 0.5) == "0.5"
    assert call("string", 1e21) == "1000000000000000000000"
    assert call("string", Duration(90 * S)) == "90s"
    assert call("string", Duration(60 * S)) == "1m"
    assert call("string", Duration(7 * 86400 * S)) == "1w"
    assert call("duration", "5m") == Duration(300 * S)
    assert call("duration", 2.5, Duration(S)) == Duration(2_500_000_000)


@pytest.mark.parametrize(
    ("name", "arg", "message"),
    [
        ("bool", 5, "cannot convert 5 to boolean"),
        ("bool", 0.5, "cannot convert 0.5 to boolean"),
        ("int", " 1", 'strconv.ParseInt: parsing " 1": invalid syntax'),
        ("int", "1_000", 'strconv.ParseInt: parsing "1_000": invalid syntax'),
        (
            "int",
            "99999999999999999999",
            'strconv.ParseInt: parsing "99999999999999999999": value out of range',
        ),
        ("float", "1e400", 'strconv.ParseFloat: parsing "1e400": value out of range'),
        ("duration", "5x", 'invalid duration string "5x"'),
        ("string", re.compile("a"), "cannot convert *regexp.Regexp to string"),
    ],
)
def test_conversion_errors(name, arg, message):
    with pytest.raises(EvalError) as info:
        call(name, arg)
    assert str(info.value) == message


def test_math_follows_go_special_cases():
    assert math.isnan(call("sqrt", -1.0))
    assert call("log", 0.0) == -math.inf
    assert math.isnan(call("log", -1.0))
    assert call("exp", 1000.0) == math.inf
    assert math.isnan(call("mod", 1.0, 0.0))
    assert call("mod", -7.0, 2.0) == -1.0
    assert call("pow", 0.0, -1.0) == math.inf
    assert call("pow10", 3) == 1000.0
    assert call("logb", 8.0) == 3.0
    assert call("gamma", 5.0) == pytest.approx(24.0)
    assert call("max", 1.0, math.nan) != call("max", 1.0, math.nan)  # NaN
    with pytest.raises(EvalError, match="cannot pass int to sqrt, must be float64"):
        call("sqrt", 4)


@pytest.mark.parametrize(
    ("n", "x", "j", "y"),
    [
        (0, 1.0, 0.7651976865579666, 0.08825696421567697),
        (1, 2.5, 0.4970941024642741, 0.1459181379667858),
        (2, 10.0, 0.2546303136851206, -0.005868082442208614),
        (0, 100.0, 0.01998585030422312, -0.07724431336886477),
    ],
)
def test_bessel_functions(n, x, j, y):
    assert jn(n, x) == pytest.approx(j, rel=1e-10, abs=1e-13)
    assert yn(n, x) == pytest.approx(y, rel=1e-10, abs=1e-13)


def test_string_functions_count_bytes():
    assert call("strLength", "héllo") == 6
    assert call("strIndex", "héllo", "l") == 3
    assert call("strLastIndexAny", "aababc", "bax") == 4
    assert call("strCount", "five", "") == 5
    assert call("strReplace", "aaaa", "a", "b", 2) == "bbaa"
    assert call("strReplace", "aaaa", "a", "b", -1) == "bbbb"
    assert call("strTrimSpace", "\t x \n") == "x"
    assert call("strSubstring", "abcdefg", 1, 5) == "bcde"
    with pytest.raises(EvalError, match="stop index too large for string in strSubstring: 7"):
        call("strSubstring", "abcdefg", 0, 7)
    with pytest.raises(
        EvalError, match="cannot pass int as second arg to strContains, must be string"
    ):
        call("strContains", "a", 1)


def test_regex_replace_uses_go_template_expansion():
    pattern = compile_re2("a(x*)b")
    assert call("regexReplace", pattern, "-ab-axxb-", "$1") == "--xx-"
    assert call("regexReplace", pattern, "-ab-axxb-", "$1W") == "---"
    assert call("regexReplace", pattern, "-ab-axxb-", "${1}W") == "-W-xxW-"
    assert call("regexReplace", pattern, "-ab-axxb-", "$$") == "-$-$-"
    assert call("regexReplace", compile_re2("x*"), "abxd", "-") == "-a-b-d-"


def test_time_functions_use_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    t = Time(1_700_000_000 * S)  # 2023-11-14T22:13:20Z, a Tuesday
    assert call("hour", t) == 22
    assert call("minute", t) == 13
    assert call("weekday", t) == 2
    assert call("day", t) == 14
    assert call("month", t) == 11
    assert call("year", t) == 2023
    assert call("unixNano", t) == 1_700_000_000 * S
    with pytest.raises(EvalError, match="cannot convert int to time.Time"):
        call("hour", 5)


def test_other_functions():
    assert call("isPresent", MISSING) is False
    assert call("isPresent", 1.0) is True
    assert call("if", True, "a", "b") == "a"
    assert call("humanBytes", 82854982) == "83 MB"
    assert call("humanBytes", 1000.0) == "1.0 kB"
    assert call("humanBytes", 999) == "999 B"
    assert {call("rand", 3) for _ in range(200)} == {0, 1, 2}
    draws = [call("rand") for _ in range(20)]
    assert all(type(r) is int and 0 <= r < 2**63 for r in draws)
    assert len(set(draws)) > 1
    with pytest.raises(EvalError, match="invalid argument to Int63n"):
        call("rand", 0)


def test_sigma_and_spread_keep_running_state():
    sigma = functions.lookup("sigma").new_state()
    assert sigma.call(97.1) == 0.0
    assert sigma.call(92.6) == pytest.approx(0.7071067811865476)
    spread = functions.lookup("spread").new_state()
    assert spread.call(5.0) == 0.0
    assert spread.call(2.0) == 3.0
    assert spread.call(9.0) == 7.0
    spread.reset()
    assert spread.call(1.0) == 0.0
    with pytest.raises(EvalError, match="value is not a float"):
        spread.call(1)


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("^abc$", "abc\n", False),  # RE2's $ is the end of the text
        ("(?m)^x$", "a\nx\nb", True),
        ("[[:digit:]]+", "ab12", True),
        (r"\Qa.b\E", "axb", False),
        (r"\Qa.b\E", "a.b", True),
        (r"\x{41}", "A", True),
        (r"\pL", "é", True),
        ("a[[]b", "a[b", True),
    ],
)
def test_re2_patterns_keep_their_meaning(pattern, text, matches):
    assert (compile_re2(pattern).search(text) is not None) is matches


def test_compiled_regex_remembers_its_source():
    from kapacitrio.tick.regex import source_of

    assert source_of(compile_re2("^a$")) == "^a$"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a(b", "error parsing regexp: missing closing ): `a(b`"),
        ("a)", "error parsing regexp: unexpected ): `a)`"),
        ("*", "error parsing regexp: missing argument to repetition operator: `*`"),
        ("[z-a]", "error parsing regexp: invalid character class range: `z-a`"),
        ("a{2,1}", "error parsing regexp: invalid repeat count: `{2,1}`"),
    ],
)
def test_invalid_patterns_are_reported_like_go(pattern, message):
    from kapacitrio.tick.regex import RegexError

    with pytest.raises(RegexError) as info:
        compile_re2(pattern)
    assert str(info.value) == message


def test_named_groups_in_both_spellings():
    assert compile_re2("(?<year>[0-9]+)").match("2024").group("year") == "2024"
    assert compile_re2("(?P<year>[0-9]+)").match("2024").group("year") == "2024"


def test_perl_classes_are_ascii_only_like_re2():
    assert compile_re2(r"\d").search("٣") is None
    assert compile_re2(r"\d").search("7") is not None
    assert compile_re2(r"[\w]+").fullmatch("abc_1") is not None
    assert compile_re2(r"\s").search("\v") is None


def test_more_go_math_special_cases():
    assert call("cbrt", -27.0) == -3.0
    assert call("sinh", -1000.0) == -math.inf
    assert math.isnan(call("gamma", -math.inf))
    assert math.isnan(call("gamma", -2.0))
    assert call("gamma", 0.0) == math.inf


def test_bessel_functions_of_high_order_stay_accurate():
    assert jn(50, 20.0) == pytest.approx(4.451039284700681e-16, rel=1e-12)
    assert jn(100, 1.0) == pytest.approx(8.431828789626709e-189, rel=1e-12)
    assert jn(3, 30.0) == pytest.approx(0.129211228759725, rel=1e-12)
    assert jn(-3, 30.0) == pytest.approx(-0.129211228759725, rel=1e-12)
