"""Serializer fields stricter than DRF's own."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

#: A whole number written in decimal digits (ASCII only: ``int()`` would also read
#: "١٢", "1_000" and " 12 ").
_DIGITS = re.compile(r"[+-]?[0-9]+")
#: Floats above this are not exact integers any more (2**53).
_EXACT_FLOAT = 2**53


class StrictIntegerField(serializers.IntegerField):
    """An integer that was written as one.

    Accepted: a JSON integer, a JSON number with nothing after the point (``3.0``, as
    JSON writers emit for a float holding a whole number) and a string of decimal
    digits (form data sends every value as a string). Refused with DRF's standard
    "A valid integer is required.": ``true``/``false``, ``1.5``, exponents in strings
    (``"1e3"``), decimal points in strings (``"1.0"``), non-ASCII digits, underscores,
    blanks, and floats too large to be exact. DRF's own ``IntegerField`` reads ``"1.0"``
    and ``1.0`` as 1, ``"1_000"`` as 1000 and ``"١٢"`` as 12.
    """

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            return data
        if isinstance(data, float):
            if data.is_integer() and abs(data) <= _EXACT_FLOAT:
                return int(data)
            self.fail("invalid")
        if isinstance(data, str):
            if len(data) > self.MAX_STRING_LENGTH:
                self.fail("max_string_length")
            if _DIGITS.fullmatch(data):
                return int(data)
        self.fail("invalid")
