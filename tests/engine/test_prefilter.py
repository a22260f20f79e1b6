

def test_a_part_takes_its_verdicts_from_the_whole_chunk() -> None:
    """`origin` in a part's memo: the parent's verdicts row for row, equal to evaluating the part."""
    import numpy as np

    from kapacitrio.models.lpcolumns import parse_chunk
    from kapacitrio.tick.columnar import compile_columnar
    from kapacitrio.tick.parser import parse_expression

    text = body(0, host_field=True) + "\ncpu,host=h1 value=3i 999999000000000"  # mixed kinds
    whole = parse_chunk(text, 1, 0, "db", "rp", lambda name: True)
    idx = np.arange(0, len(whole), 3)
    for expr in ['"value" > 50.0', "\"host\" == 'h1'", '"value" * 2.0 > 30.0 OR "dc" == \'d1\'']:
        col = compile_columnar(parse_expression(expr))
        part = whole.take(idx)
        part.memo["origin"] = (whole, idx)
        alone = whole.take(idx)
        got, want = col.evaluate_bool(part), col.evaluate_bool(alone)
        if want is None:
            assert got is None
        else:
            assert got is not None
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
