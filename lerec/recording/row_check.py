"""Each tick's numeric values checked against their features as they arrive, not at the save."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lerec.dataset.spec.features import infer_feature
from lerec.errors import DatasetError, LerecError


class RowCheck:
    """Checks and copies one source's values each tick: the keys are the declared features, each value has the
    feature's shape (a scalar for shape [1]) and a dtype that casts to the feature's without changing kind
    (float64 to float32 is fine, float to int is not). With ``infer``, the first values declare the features."""

    def __init__(self, features: Mapping[str, Mapping[str, Any]], source: str, infer: bool = False):
        self.source = source
        self.infer = infer and not features
        self._set(features)

    def _set(self, features: Mapping[str, Mapping[str, Any]]) -> None:
        self.features = dict(features)
        self._expect = {key: (np.dtype(f["dtype"]), tuple(f["shape"])) for key, f in self.features.items()}

    def __call__(self, values: Any, tick: int) -> dict[str, np.ndarray]:
        if not isinstance(values, Mapping):
            raise LerecError(f"{self.source} must return a mapping of feature values, got {type(values).__name__} "
                             f"at tick {tick}")
        if self.infer:
            self._set({key: infer_feature(key, value) for key, value in values.items()})
            self.infer = False
        if values.keys() != self._expect.keys():
            missing = [key for key in self._expect if key not in values]
            if missing:
                raise DatasetError(f"{self.source} did not return feature {missing[0]!r} at tick {tick}")
            extra = sorted(set(values) - set(self._expect))
            raise DatasetError(f"{self.source} returned undeclared feature(s) {extra} at tick {tick}; "
                               "declare them in features")
        row = {}
        for key, (dtype, shape) in self._expect.items():
            value = np.asarray(values[key])
            if (value.shape != shape and not (value.shape == () and shape == (1,))) or not (
                    value.dtype == dtype or np.can_cast(value.dtype, dtype, "same_kind")):
                raise DatasetError(f"{self.source} returned feature {key!r} as {value.dtype} shape "
                                   f"{list(value.shape)} at tick {tick}; expected {dtype} shape {list(shape)}")
            row[key] = np.array(value, dtype=dtype).reshape(shape)  # a copy: the caller may reuse its buffer
        return row
