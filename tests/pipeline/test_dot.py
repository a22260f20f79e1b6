"""DOT output: static and executing views."""

from kapacitrio.pipeline.build import compile_task
from kapacitrio.pipeline.dot import dot

STREAM = """
var data = stream
    |from()
        .measurement('cpu')
data
    |window()
        .period(10s)
        .every(10s)
    |mean('value')
data
    |httpOut('raw')
"""


def test_static_dot_walks_depth_first_reverse_postorder():
    p = compile_task(STREAM, "stream")
    # from1 has two children: window2 (first) and http_out4; reverse post-order puts
    # the later child's subtree first.
    assert dot("cpu", p) == (
        "digraph cpu {\n"
        "stream0 -> from1;\n"
        "from1 -> window2;\n"
        "from1 -> http_out4;\n"
        "window2 -> mean3;\n"
        "}"
    )


def test_static_dot_hides_batch_source():
    p = compile_task("batch|query('SELECT 1').every(1s).period(1s)|httpOut('x')", "batch")
    assert dot("b", p) == "digraph b {\nquery1 -> http_out2;\n}"


def test_static_dot_with_stats_source():
    p = compile_task("stream|from()|deadman(1.0, 1m)", "stream")
    text = dot("d", p)
    assert text == (
        "digraph d {\n"
        "stream0 -> from1;\n"
        "from1 -> noop3;\n"
        "stats2 -> derivative4;\n"
        "derivative4 -> alert5;\n"
        "}"
    )


def test_executing_dot_attributes():
    p = compile_task("stream|from()|httpOut('x')", "stream")
    stats = {
        "stream0": {"errors": 0, "working_cardinality": 0, "avg_exec_time_ns": 0},
        "from1": {"errors": 1, "avg_exec_time_ns": 1_200_000, "working_cardinality": 2},
        "http_out2": {"working_cardinality": 0, "errors": 0, "avg_exec_time_ns": "0s"},
    }
    edges = {("stream0", "from1"): 5, ("from1", "http_out2"): 4}
    text = dot("t", p, stats, edges=edges, throughput=2.5)
    assert text == (
        "digraph t {\n"
        'graph [throughput="2.50 points/s"];\n'
        "\n"
        'stream0 [avg_exec_time_ns="0s" errors="0" working_cardinality="0" ];\n'
        'stream0 -> from1 [processed="5"];\n'
        "\n"
        'from1 [avg_exec_time_ns="1.2ms" errors="1" working_cardinality="2" ];\n'
        'from1 -> http_out2 [processed="4"];\n'
        "\n"
        'http_out2 [avg_exec_time_ns="0s" errors="0" working_cardinality="0" ];\n'
        "}"
    )


def test_executing_dot_labels_for_batch_task():
    p = compile_task("batch|query('SELECT 1').every(1s).period(1s)|httpOut('x')", "batch")
    stats = {
        "batch0": {"errors": 0},
        "query1": {"errors": 0, "batches_queried": 3},
        "http_out2": {"errors": 0},
    }
    text = dot("b", p, stats, labels=True, edges={("query1", "http_out2"): 3})
    assert text == (
        "digraph b {\n"
        'graph [label="Throughput: 0.00 batches/s" forcelabels=true pad="0.8,0.5"];\n'
        "\n"
        'query1 [xlabel="batches_queried=3\\rerrors=0"];\n'
        'query1 -> http_out2 [label="processed=3"];\n'
        "\n"
        'http_out2 [xlabel="errors=0"];\n'
        "}"
    )
