"""UDF agents for the tests, after Kapacitor's documented examples; run as `agents.py NAME`.

moving_avg, mirror and outliers behave as Kapacitor's example agents do; the others exercise the
protocol: edge conversions, typed options, a crash, a hang and an error response.
"""

from __future__ import annotations

import json
import os
import sys

from agentlib import Handler, main

from kapacitrio.udf import udf_pb2 as pb


class MovingAvg(Handler):
    """Moving average of `field` over the last `size` points of each group, as field `as`."""

    options = {"field": [pb.STRING], "size": [pb.INT], "as": [pb.STRING]}

    def init(self, req):
        self.field, self.size, self.as_ = None, 0, "avg"
        for opt in req.options:
            v = opt.values[0]
            if opt.name == "field":
                self.field = v.stringValue
            elif opt.name == "size":
                self.size = v.intValue
            elif opt.name == "as":
                self.as_ = v.stringValue
        self.windows: dict[str, list[float]] = {}
        errors = []
        if self.field is None:
            errors.append("must supply field name")
        if self.size == 0:
            errors.append("must supply window size")
        return " ".join(errors)

    def snapshot(self):
        return json.dumps(self.windows).encode()

    def restore(self, data):
        self.windows = json.loads(data)
        return ""

    def point(self, point):
        window = self.windows.setdefault(point.group, [])
        window.append(point.fieldsDouble[self.field])
        del window[: -self.size]
        resp = pb.Response()
        resp.point.CopyFrom(point)
        resp.point.ClearField("fieldsInt")
        resp.point.ClearField("fieldsString")
        resp.point.ClearField("fieldsDouble")
        resp.point.ClearField("fieldsBool")
        resp.point.fieldsDouble[self.as_] = sum(window) / len(window)
        self.agent.write(resp)


class Mirror(Handler):
    """Every point back as it came."""

    def point(self, point):
        resp = pb.Response()
        resp.point.CopyFrom(point)
        self.agent.write(resp)


class Outliers(Handler):
    """Tukey outliers of `field` in each batch (scale default 1.5), as Kapacitor's example."""

    wants = pb.BATCH
    provides = pb.BATCH
    options = {"field": [pb.STRING], "scale": [pb.DOUBLE]}

    def init(self, req):
        self.field, self.scale = None, 1.5
        for opt in req.options:
            if opt.name == "field":
                self.field = opt.values[0].stringValue
            elif opt.name == "scale":
                self.scale = opt.values[0].doubleValue
        if self.field is None:
            return "must supply field name"
        if self.scale < 1.0:
            return "invalid scale must be >= 1.0"
        return ""

    def begin_batch(self, begin):
        self.entries = []
        resp = pb.Response()
        resp.begin.CopyFrom(begin)
        self.agent.write(resp)

    def point(self, point):
        self.entries.append((point.fieldsDouble[self.field], point))

    @staticmethod
    def _median(data):
        n = len(data)
        m = n // 2
        if n % 2 == 0:  # the example's own (shifted) choice of middle pair
            return m, m + 1, (data[m][0] + data[m + 1][0]) / 2.0
        return m, m, data[m][0]

    def end_batch(self, end):
        entries = sorted(self.entries, key=lambda e: e[0])
        ml, mr, _ = self._median(entries)
        _, first, fq = self._median(entries[:mr])
        third, _, tq = self._median(entries[ml + 1 :])
        iqr = tq - fq
        lower, upper = fq - iqr * self.scale, tq + iqr * self.scale
        out = []
        for value, point in entries[:first]:
            if value >= lower:
                break
            out.append(point)
        out.extend(p for v, p in entries[third + 1 :] if v > upper)
        for point in out:
            resp = pb.Response()
            resp.point.CopyFrom(point)
            self.agent.write(resp)
        resp = pb.Response()
        resp.end.CopyFrom(end)
        self.agent.write(resp)


class Chunks(Handler):
    """Stream in, batch out: every `size` points of a group become one batch."""

    provides = pb.BATCH
    options = {"size": [pb.INT]}

    def init(self, req):
        self.size = req.options[0].values[0].intValue if req.options else 2
        self.held: dict[str, list] = {}
        return ""

    def point(self, point):
        held = self.held.setdefault(point.group, [])
        held.append(point)
        if len(held) < self.size:
            return
        self.held[point.group] = []
        begin = pb.Response()
        begin.begin.name = point.name
        begin.begin.group = point.group
        begin.begin.tags.update(point.tags)
        begin.begin.size = len(held)
        self.agent.write(begin)
        for p in held:
            resp = pb.Response()
            resp.point.time = p.time
            resp.point.tags.update(p.tags)
            resp.point.fieldsDouble.update(p.fieldsDouble)
            self.agent.write(resp)
        end = pb.Response()
        end.end.name = point.name
        end.end.group = point.group
        end.end.tmax = held[-1].time
        end.end.tags.update(point.tags)
        self.agent.write(end)


class BatchMean(Handler):
    """Batch in, stream out: one point per batch with the mean of `field`."""

    wants = pb.BATCH
    options = {"field": [pb.STRING]}

    def init(self, req):
        self.field = req.options[0].values[0].stringValue
        return ""

    def begin_batch(self, begin):
        self.values = []

    def point(self, point):
        self.values.append(point.fieldsDouble[self.field])

    def end_batch(self, end):
        resp = pb.Response()
        resp.point.name = end.name
        resp.point.time = end.tmax
        resp.point.tags.update(end.tags)
        resp.point.dimensions.extend(sorted(end.tags))
        resp.point.fieldsDouble["mean"] = sum(self.values) / len(self.values)
        resp.point.fieldsInt["count"] = len(self.values)
        self.agent.write(resp)


class Typed(Handler):
    """Echoes its typed options and init ids as the fields of each point."""

    options = {
        "flag": [pb.BOOL],
        "count": [pb.INT],
        "ratio": [pb.DOUBLE],
        "label": [pb.STRING],
        "every": [pb.DURATION],
        "pair": [pb.STRING, pb.INT],
    }

    def init(self, req):
        self.fields = {"task": ("", req.taskID), "node": ("", req.nodeID)}
        for opt in req.options:
            for i, v in enumerate(opt.values):
                self.fields[f"{opt.name}{i}"] = (
                    pb.ValueType.Name(v.type),
                    getattr(v, v.WhichOneof("value")),
                )
        return ""

    def point(self, point):
        resp = pb.Response()
        resp.point.CopyFrom(point)
        for k, (t, v) in self.fields.items():
            key = k if k in ("task", "node") else f"{k}_{t}"
            if isinstance(v, bool):
                resp.point.fieldsBool[key] = v
            elif isinstance(v, int):
                resp.point.fieldsInt[key] = v
            elif isinstance(v, float):
                resp.point.fieldsDouble[key] = v
            else:
                resp.point.fieldsString[key] = v
        self.agent.write(resp)


class Refuse(Handler):
    """Refuses every init."""

    options = {"field": [pb.STRING]}

    def init(self, req):
        return "field is not allowed here"


class Crash(Handler):
    """Dies on its second point."""

    seen = 0

    def point(self, point):
        Crash.seen += 1
        if Crash.seen == 2:
            sys.stderr.write("crashing now\n")
            sys.stderr.flush()
            os._exit(3)
        Mirror.point(self, point)


class Hang(Handler):
    """Answers its info and init, then nothing: no keepalives, no snapshots, no points.

    (Any answer counts as a sign of life, as in Kapacitor: an agent still answering the task's
    snapshot requests is not timed out for ignoring keepalives.)
    """

    answers_after_init = False
    point = Mirror.point


class Fail(Handler):
    """Reports an error on a point whose `value` is negative."""

    def point(self, point):
        if point.fieldsDouble.get("value", 0) < 0:
            raise ValueError(f"negative value {point.fieldsDouble['value']} at {point.time}")
        Mirror.point(self, point)


if __name__ == "__main__":
    main(
        {
            "moving_avg": MovingAvg,
            "mirror": Mirror,
            "outliers": Outliers,
            "chunks": Chunks,
            "batch_mean": BatchMean,
            "typed": Typed,
            "refuse": Refuse,
            "crash": Crash,
            "hang": Hang,
            "fail": Fail,
        }
    )
