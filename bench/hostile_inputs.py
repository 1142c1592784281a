"""Benchmark: what a hostile rule or bank file costs, before and after issue 17's bounds.

Measured in the same run (no database needed):

- a catastrophic-backtracking rule ``(a+)+$`` against descriptions of N ``a`` and a ``!``: Python's
  ``re`` (what rules ran on before) against the rules' RE2 matcher (``importers.rules``);
- an OFX 1.x file of N ``<A><![CDATA[x`` on one line: ofxtools' parser (quadratic: each doubling of
  the file is about x4) against ``ofx_format.prescan``, which refuses it in one linear pass.

Run: ``python bench/hostile_inputs.py [--max-a 24] [--ofx-kb 13,26,52]``.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import print_table  # noqa: E402
from ofxtools.Parser import OFXTree  # noqa: E402

from budget_core.errors import ValidationError  # noqa: E402
from budget_core.importers import ofx_format  # noqa: E402
from budget_core.importers.rules import match_descriptions  # noqa: E402

HEADER = (
    b"OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\n"
    b"COMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
)


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def regex_rows(max_a: int) -> list[list[object]]:
    rows = []
    backtracking = re.compile(r"(a+)+$", re.IGNORECASE)
    for n in range(max_a - 6, max_a + 1, 2):
        text = "a" * n + "!"
        before = seconds(lambda text=text: backtracking.search(text))
        after = seconds(lambda text=text: match_descriptions([(r"(a+)+$", True)], [text]))
        rows.append([n + 1, f"{before:.3f} s", f"{after * 1e6:.0f} µs", f"x{before / after:,.0f}"])
    return rows


def ofx_rows(sizes_kb: list[int]) -> list[list[object]]:
    rows = []
    for kb in sizes_kb:
        data = HEADER + b"<OFX>" + b"<A><![CDATA[x" * (kb * 1000 // 13) + b"</OFX>"
        before = seconds(lambda data=data: OFXTree().parse(io.BytesIO(data)))

        def refuse(data: bytes = data) -> None:
            try:
                ofx_format.prescan(data, "hostile.ofx")
            except ValidationError:
                return
            raise SystemExit("the pre-scan accepted a file it must refuse")

        after = seconds(refuse)
        rows.append([f"{len(data) / 1000:.0f} KB", f"{before:.3f} s", f"{after * 1e3:.2f} ms (refused)"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-a", type=int, default=24, help="longest run of 'a' for the regex rule")
    parser.add_argument("--ofx-kb", default="13,26,52", help="hostile OFX sizes in KB, comma-separated")
    args = parser.parse_args()
    print_table(
        ["description length", "Python re", "RE2 rules", "ratio"],
        regex_rows(args.max_a),
        title="Rule (a+)+$ against 'aaa…a!'",
    )
    print_table(
        ["file", "ofxtools parse", "prescan"],
        ofx_rows([int(k) for k in args.ofx_kb.split(",")]),
        title="OFX with many CDATA openings on one line",
    )


if __name__ == "__main__":
    main()
