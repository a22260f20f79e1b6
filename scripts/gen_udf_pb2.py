"""Regenerate kapacitrio/udf/udf_pb2.py from kapacitrio/udf/udf.proto (needs grpcio-tools)."""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

HERE = Path(__file__).resolve().parent.parent / "kapacitrio" / "udf"


def main() -> int:
    return protoc.main(["protoc", f"-I{HERE}", f"--python_out={HERE}", str(HERE / "udf.proto")])


if __name__ == "__main__":
    sys.exit(main())
