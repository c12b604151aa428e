"""The JSON tables under ``rules/data/``, read as the files they are beside this module.

A wheel installs them as plain files. ``importlib.resources`` would find them in a zip as
well, but importing it costs every start of iacperf 5-8 ms (it imports ``tempfile``,
``zipfile`` and more), and the tables load when the rules do.
"""

from __future__ import annotations

import json
import os
from typing import Any

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def table(name: str) -> Any:
    """The JSON document ``rules/data/<name>``."""
    with open(os.path.join(_DATA, name), encoding="utf-8") as handle:
        return json.load(handle)
