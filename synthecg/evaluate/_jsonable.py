"""JSON-safe values for the metric results' ``to_dict()`` and the evaluation report: NaN and
inf -> None, numpy -> Python, DataFrames -> lists of row dicts (a non-default index as a column),
arrays -> nested lists, objects with ``to_dict()`` -> their dict."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def jsonable(value):
    """``value`` with every float finite or None, every container a dict or list."""
    if isinstance(value, pd.DataFrame):
        if not isinstance(value.index, pd.RangeIndex):  # a meaningful index becomes a column
            value = value.reset_index()
        return [jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return jsonable(value.to_list())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "to_dict"):  # a metric result
        return jsonable(value.to_dict())
    return str(value)
