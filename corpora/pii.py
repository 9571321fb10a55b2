"""PII scrubbing: phone numbers, 身份证 numbers, e-mail addresses and @handles → stable pseudonyms.

The same value always gets the same pseudonym under one salt (a salted SHA-256, first ``hex_digits``
hex digits), so a researcher can still count how often one handle or number recurs without seeing it:
``13812345678`` → ``[电话_…]``, ``@张三`` → ``@用户_…``. Numbers are compared by their digits, so
``138-1234-5678`` and ``+86 13812345678`` get the same pseudonym.

What is scrubbed (and what deliberately is not):

- mobile numbers: 11 digits ``1[3-9]XXXXXXXXX`` (optionally ``+86``/``86``, spaces or hyphens as
  ``138 1234 5678``), not inside a longer digit run and not followed by a unit (元, 万, 人, %, …), so
  ``15000000000元`` stays.
- landlines: area code with a separator, ``010-12345678``, ``(0755)12345678``, ``0755 1234567``;
  a bare ``075512345678`` only after a cue word (电话, 座机, 热线, 联系).
- 身份证: 18 digits (last may be X) with a valid birth date and ISO 7064 checksum, or 15 digits with a valid
  birth date; a number that fails the checksum is not an ID and stays.
- e-mail addresses.
- @handles (``@用户名``), but not the ``@`` inside an e-mail address or an already scrubbed handle.

Dates, money, years and statistics are left alone: they do not match these shapes.

Example:
    >>> s = Scrubber(salt="demo")
    >>> s.scrub("联系@张三，电话138-1234-5678") == s.scrub("联系@张三，电话13812345678")
    True
    >>> s.scrub("2023年工资12000元")
    '2023年工资12000元'
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

__all__ = ["Scrubber", "valid_id_number"]

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ID18 = re.compile(r"(?<![0-9A-Za-z])([1-8]\d{5})((?:19|20)\d{2})(\d{2})(\d{2})(\d{3})([0-9Xx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])([1-8]\d{5})(\d{2})(\d{2})(\d{2})(\d{3})(?![0-9A-Za-z])")
_UNIT = r"(?![0-9]|\s*(?:元|块|万|亿|人|次|个|多|余|件|吨|米|年|岁|号|%|％|美元|港元|股|户|台|辆|平方))"
_MOBILE = re.compile(r"(?<![0-9.\-])(?:\+?86[\s\-]?)?(1[3-9]\d)[\s\-]?(\d{4})[\s\-]?(\d{4})" + _UNIT)
_LANDLINE = re.compile(r"(?<![0-9.\-])(?:[（(](0\d{2,3})[)）]\s*|(0\d{2,3})[\-\s])(\d{7,8})(?:[\-转](\d{1,5}))?"
                       r"(?![0-9])")
_LANDLINE_CUE = re.compile(r"((?:电话|座机|热线|联系方式|联系|tel|Tel|TEL)[:：\s]*)(0\d{9,11})(?![0-9])")
_HANDLE = re.compile(r"(?<![A-Za-z0-9._%+\-])@(?!用户_[0-9a-f]{4,16}(?![0-9a-f]))([\w\-]{1,30})")


def valid_id_number(number: str) -> bool:
    """Whether ``number`` is a well-formed 18-digit (with checksum) or 15-digit 居民身份证 number."""
    n = number.upper()
    if len(n) == 18 and n[:17].isdigit():
        year, month, day = int(n[6:10]), int(n[10:12]), int(n[12:14])
        check = _ID_CHECK[sum(int(d) * w for d, w in zip(n[:17], _ID_WEIGHTS)) % 11]
        return _valid_date(year, month, day) and n[17] == check
    if len(n) == 15 and n.isdigit():
        return _valid_date(1900 + int(n[6:8]), int(n[8:10]), int(n[10:12]))
    return False


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


class Scrubber:
    """Replaces personal identifiers with salted, stable pseudonyms.

    Args:
        salt: secret mixed into every hash; keep it fixed across runs of one project so that
            pseudonyms stay comparable, change it to unlink them.
        hex_digits: length of the pseudonym code (8 by default: collisions stay unlikely up to
            tens of thousands of distinct values).
    """

    def __init__(self, salt: str = "stigmascope", *, hex_digits: int = 8) -> None:
        if not isinstance(salt, str):
            raise TypeError(f"salt must be a str, got {type(salt).__name__}")
        if not 4 <= hex_digits <= 16:
            raise ValueError(f"hex_digits must be between 4 and 16, got {hex_digits}")
        self.salt = salt
        self.hex_digits = hex_digits

    def pseudonym(self, kind: str, value: str) -> str:
        """The code for ``value`` of ``kind`` (``phone``, ``id``, ``email``, ``handle``)."""
        digest = hashlib.sha256(f"{self.salt}\x1f{kind}\x1f{value}".encode()).hexdigest()
        return digest[: self.hex_digits]

    def scrub(self, text: str) -> str:
        """Return ``text`` with phones, ID numbers, e-mails and @handles replaced.

        Args:
            text: any text (raw or normalised).

        Returns:
            The scrubbed text; unchanged when nothing matched. Scrubbing twice changes nothing more.
        """
        for _ in range(4):  # identifiers glued together (ID then phone) come apart one pass at a time
            done = self._once(text) if text else text
            if done == text:
                break
            text = done
        return text

    def _once(self, text: str) -> str:
        if "@" in text:
            text = _EMAIL.sub(lambda m: f"[邮箱_{self.pseudonym('email', m.group(0).lower())}]", text)
        if any(c.isdigit() for c in text):
            text = _ID18.sub(self._id18, text)
            text = _ID15.sub(self._id15, text)
            text = _MOBILE.sub(lambda m: self._phone(m.group(1) + m.group(2) + m.group(3)), text)
            text = _LANDLINE.sub(lambda m: self._phone((m.group(1) or m.group(2)) + m.group(3)), text)
            text = _LANDLINE_CUE.sub(lambda m: m.group(1) + self._phone(m.group(2)), text)
        if "@" in text:
            text = _HANDLE.sub(lambda m: f"@用户_{self.pseudonym('handle', m.group(1))}", text)
        return text

    def _phone(self, digits: str) -> str:
        return f"[电话_{self.pseudonym('phone', digits)}]"

    def _id18(self, m: re.Match[str]) -> str:
        number = m.group(0).upper()
        return f"[身份证_{self.pseudonym('id', number)}]" if valid_id_number(number) else m.group(0)

    def _id15(self, m: re.Match[str]) -> str:
        number = m.group(0)
        return f"[身份证_{self.pseudonym('id', number)}]" if valid_id_number(number) else m.group(0)
