"""How an amount of paise is shown to people: ₹1,23,456.78 and words on invoices.

Owns Indian digit grouping (the last three digits, then pairs: lakh, crore) and the
"amount in words" line of a tax invoice. Display only: nothing here is parsed back.
"""

from __future__ import annotations

from functools import lru_cache

from num2words import num2words

from glowpos.money.tax import _require_int

RUPEE = "₹"


def format_inr(paise: int, *, symbol: bool = True) -> str:
    """``12345678`` → ``"₹1,23,456.78"``; ``-150000`` → ``"-₹1,500.00"``.

    The minus sign goes before the rupee sign, as Indian bank statements and Tally print it.
    """
    _require_int(paise=paise)
    sign = "-" if paise < 0 else ""
    rupees, paise_part = divmod(abs(paise), 100)
    return f"{sign}{RUPEE if symbol else ''}{_group_indian(rupees)}.{paise_part:02d}"


def _group_indian(rupees: int) -> str:
    digits = str(rupees)
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while head:
        head, pair = head[:-2], head[-2:]
        pairs.append(pair)
    return ",".join([*reversed(pairs), tail])


def amount_in_words(paise: int) -> str:
    """The invoice's amount in words, Indian numbering (lakh, crore), via num2words en_IN.

    ``2_400_000`` → ``"Rupees Twenty-Four Thousand Only"``;
    ``12_345_678`` → ``"Rupees One Lakh Twenty-Three Thousand Four Hundred and Fifty-Six
    and Paise Seventy-Eight Only"``; ``0`` → ``"Rupees Zero Only"``;
    ``5`` → ``"Paise Five Only"``.

    Choices made on num2words' output (``"one lakh, twenty-three thousand, four hundred
    and fifty-six"``):

    * every word is capitalised, each part of a hyphenated word too (``Twenty-Four``),
      except ``and``, which stays lower case as on printed Indian cheques and invoices;
    * num2words' commas between groups are dropped;
    * num2words' own ``and`` (``Four Hundred and Fifty-Six``) is kept, and a further
      ``and`` joins rupees to paise; rupees are omitted when zero and paise is not.

    Invoices state amounts as positive numbers (a credit note says what it credits), so a
    negative amount is refused. num2words en_IN stops below 10^10 rupees (₹1,000 crore);
    larger amounts are refused with ValueError too.
    """
    _require_int(paise=paise)
    if paise < 0:
        raise ValueError(f"amount in words needs a non-negative amount, got {paise} paise")
    rupees, paise_part = divmod(paise, 100)
    parts = []
    if rupees or not paise_part:
        parts.append(f"Rupees {_words(rupees)}")
    if paise_part:
        parts.append(f"Paise {_words(paise_part)}")
    return " and ".join(parts) + " Only"


@lru_cache(maxsize=4096)  # the same prices, in words, at every close: num2words is a tenth of a millisecond
def _words(number: int) -> str:
    try:
        text = num2words(number, lang="en_IN")
    except OverflowError as exc:
        raise ValueError(f"{number} rupees is too large to write in words") from exc
    return " ".join(_capitalise(word) for word in text.replace(",", "").split())


def _capitalise(word: str) -> str:
    if word == "and":
        return word
    return "-".join(part.capitalize() for part in word.split("-"))
