"""JavaScript conditions and code in the embedded engine."""

import pytest

from kapacitrio.kkok.js import JSEngine, JSError

from .conftest import make_alert


@pytest.fixture
def js():
    return JSEngine(0.2)


def test_expression_sees_alert_fields_and_date(js):
    a = make_alert(info={"level": "critical"})
    expr = js.expression('alert.Info.level == "critical" && alert.Date.getUTCFullYear() == 2026')
    assert expr.eval_alert(a) is True
    assert js.expression("alert.Host").eval_alert(a) == "web1"


def test_expression_over_all_alerts(js):
    assert js.expression("alerts.length > 1").eval_alerts([make_alert(), make_alert()]) is True


def test_syntax_error_is_reported_at_compile_time(js):
    with pytest.raises(JSError, match="bad JavaScript expression"):
        js.expression("alert.Title ==")


def test_runtime_error_names_the_problem(js):
    with pytest.raises(JSError, match="ReferenceError"):
        js.expression("nosuch.thing").eval_alert(make_alert())


def test_time_limit_interrupts_endless_loop(js):
    expr = js.expression("(function(){ while (true) {} })()")
    with pytest.raises(JSError, match="interrupted"):
        expr.eval_alert(make_alert())
    assert js.expression("1 + 1").eval_alert(make_alert()) == 2


def test_code_edits_a_copy(js):
    a = make_alert()
    code = js.code('alert.Title = "edited"; alert.Info.seen = true; alert.Routes.push("r")')
    b = code.run(a)
    assert (b.title, b.info, b.routes) == ("edited", {"seen": True}, ["r"])
    assert a.title == "disk full" and a.info == {}


def test_code_keeps_nanoseconds_when_date_untouched(js):
    a = make_alert(date=make_alert().date + 123_456_789)
    assert js.code("alert.Host = 'x'").run(a).date == a.date
    assert js.code("alert.Date = new Date(0)").run(a).date == 0


def test_code_that_breaks_the_alert_is_an_error(js):
    with pytest.raises(JSError, match="bad alert"):
        js.code('alert.Title = ""').run(make_alert())


@pytest.mark.parametrize("source", ["alert.Title\x00 == 'x'", "alert.Title == '\ud800'"])
@pytest.mark.parametrize("kind", ["expression", "code"])
def test_nul_and_lone_surrogates_are_bad_javascript_not_a_crash(source, kind):
    engine = JSEngine()
    with pytest.raises(JSError, match=f"bad JavaScript {kind}"):
        getattr(engine, kind)(source)
