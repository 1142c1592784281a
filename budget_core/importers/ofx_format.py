"""OFX / QFX statements, version 1.x (SGML) and 2.x (XML), read through ofxtools.

Each transaction's import id is its FITID scoped by the account (bank id + account id, hashed so
account numbers are not stored). The posting date is taken as the bank wrote it (the first eight
digits of DTPOSTED); converting it to UTC would move a late-evening purchase to the next day.

ofxtools' parser is a regular expression over the whole body; on some inputs its work grows with
the square of the file (a long run of spaces in the header, many CDATA sections on one line) and
its memory with the number of tags. :func:`prescan` reads the file once, in linear time, and
refuses those shapes before ofxtools sees it: a header that is not at the start, more than one
CDATA section on a line, tags nested deeper than :data:`MAX_DEPTH`, more than :data:`MAX_TAGS`
tags. Measured in ``bench/hostile_files.py``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree import ElementTree

from ofxtools.header import XML_REGEX, OFXHeaderError, OFXHeaderV1, OFXHeaderV2
from ofxtools.Parser import OFXTree, ParseError

from ..domain.money import to_minor
from ..errors import ValidationError
from . import MAX_ROWS, OccurrenceCounter, Statement, StatementRow, content_key, normal_text
from .source import Source, check_size, open_binary, size_of

SNIFF_BYTES = 4096
HEADER_BYTES = 4096  # the OFX header (about 200 bytes in real files) must match within the file's first 4 KB
MAX_DEPTH = 32  # real statements nest about 8 deep
MAX_TAGS = 1_000_000  # a 16 MB statement of real transactions has about 500,000
_TAG = re.compile(rb"<(/?)([^<>]*)>([^<]*)")
_CDATA = re.compile(rb"<!\[CDATA\[")


def looks_like_ofx(head: bytes) -> bool:
    """True when the first bytes are an OFX header (1.x 'OFXHEADER:' or 2.x '<?OFX' / '<OFX>')."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return text.startswith(b"OFXHEADER") or b"<?OFX" in text or b"<OFX>" in text


def _account_key(stmt) -> str:
    acct = stmt.find("BANKACCTFROM")
    if acct is None:
        acct = stmt.find("CCACCTFROM")
    fields = ("BANKID", "BRANCHID", "ACCTID")
    raw = "|".join((acct.findtext(f) or "").strip() if acct is not None else "" for f in fields)
    return "ofx-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]


def _description(tx) -> str:
    name = (tx.findtext("NAME") or tx.findtext("PAYEE/NAME") or "").strip()
    memo = (tx.findtext("MEMO") or "").strip()
    if memo and memo.casefold() not in name.casefold():
        name = f"{name} {memo}" if name else memo
    return normal_text(name) or normal_text(tx.findtext("TRNTYPE") or "") or "(no description)"


def read_ofx(source: Source, file_name: str, currency: str) -> Statement:
    """Every transaction of every bank / card statement in the file, in file order.

    ofxtools reads the header and the SGML or XML body into an element tree; the values are taken
    from that tree rather than from ofxtools' spec-validated models, because banks' files often lack
    elements the specification requires (a ledger balance, a status) that an import does not need.
    Raises ValidationError for a file ofxtools cannot parse, a statement in another currency, or a
    transaction without a usable id, date or amount (naming the transaction).
    """
    check_size(source)
    name = Path(file_name).name
    with open_binary(source) as fh:
        fh.seek(max(0, size_of(source) - 256))
        last = fh.read()
    tail = last.rstrip(b" \t\r\n\x00").upper()
    if not tail.endswith(b"</OFX>"):
        raise ValidationError(
            f"{name} is cut short (it does not end with </OFX>): the download did not finish. "
            "Download it from your bank again."
        )
    if _has_nul(source, size_of(source) - (len(last) - len(tail))):  # NUL padding after </OFX> is harmless
        raise ValidationError(f"{name} has NUL bytes inside it: the file is damaged. Download it from your bank again.")
    prescan(source, name)
    tree = OFXTree()
    try:
        with open_binary(source) as fh:
            tree.parse(fh)
    except (ParseError, ElementTree.ParseError, OFXHeaderError, ValueError, KeyError, IndexError) as err:
        why = " ".join(str(err).split())  # ofxtools may quote the whole file: keep the start
        why = why if len(why) <= 160 else why[:160] + "…"
        raise ValidationError(
            f"{name} is not an OFX file we can read ({why}). Download it from your bank again, or export CSV instead."
        ) from None
    root = tree.getroot()
    statements = [el for el in root.iter() if el.tag in ("STMTRS", "CCSTMTRS")] if root is not None else []
    if not statements:
        raise ValidationError(f"{name} holds no bank or card statement.")
    rows: list[StatementRow] = []
    counter = OccurrenceCounter()
    position = 0
    for stmt in statements:
        curdef = (stmt.findtext("CURDEF") or "").strip().upper()
        if curdef and curdef != currency:
            raise ValidationError(
                f"This statement is in {curdef} but the family budgets in {currency}; "
                "import statements of accounts in the family's currency."
            )
        account = _account_key(stmt)
        for tx in stmt.iter("STMTTRN"):
            position += 1
            fitid = (tx.findtext("FITID") or "").strip()
            where = f"Transaction {position}" + (f" (FITID {fitid})" if fitid else "")
            if not fitid:
                raise ValidationError(f"{where} has no FITID, the bank's id of the transaction.")
            occurred_on = _posted_on((tx.findtext("DTPOSTED") or "").strip(), where)
            minor = _amount((tx.findtext("TRNAMT") or "").strip(), currency, where)
            if minor == 0:
                continue
            description = _description(tx)
            n = counter.next(account, occurred_on, minor, description)
            key = content_key(account, occurred_on, minor, description, n)
            rows.append(StatementRow(position, occurred_on, minor, description, f"ofx:{account}:{fitid}", key, account))
            if len(rows) > MAX_ROWS:
                raise ValidationError(f"The file has more than {MAX_ROWS:,} transactions; import it in parts.")
    return Statement(name, "ofx", rows, currency)


def prescan(source: Source, name: str) -> None:
    """Refuse, in one linear pass, what would make ofxtools' parser take quadratic time or unbounded
    memory: a header that does not match at the very start, several CDATA sections on one line,
    tags nested deeper than MAX_DEPTH, more than MAX_TAGS tags. ValidationError naming the problem."""
    with open_binary(source) as fh:
        data = fh.read()
    _check_header(data, name)
    previous = -1
    for found in _CDATA.finditer(data):
        if previous >= 0 and data.find(b"\n", previous, found.start()) < 0:
            raise ValidationError(
                f"{name} has several CDATA sections on one line, which no bank writes; it cannot be read safely."
            )
        previous = found.start()
    depth = tags = 0
    for match in _TAG.finditer(data):  # the parser's own reading: a tag with text is a leaf, without one it opens
        closing, tag, after = match.groups()
        if closing:
            depth -= 1
            continue
        tags += 1
        if tags > MAX_TAGS:
            raise ValidationError(
                f"{name} has more than {MAX_TAGS:,} OFX tags, far more than a bank statement of this size; "
                "download a shorter date range."
            )
        if not after.strip() and not data.startswith(b"</" + tag + b">", match.end()):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValidationError(
                    f"{name} nests its OFX tags more than {MAX_DEPTH} deep, which no bank statement does; "
                    "it cannot be read safely."
                )


def _check_header(data: bytes, name: str) -> None:
    """The OFX header must match ofxtools' own pattern at the start, within the first HEADER_BYTES:
    then its search succeeds at once instead of trying every later position."""
    lines = data[:HEADER_BYTES].decode("ascii", "replace").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines[:8]) if line.strip()), None)
    head = "".join(lines[start:]) if start is not None else ""
    if XML_REGEX.match(head):
        ok = OFXHeaderV2.regex.search(head) is not None
    else:
        ok = OFXHeaderV1.regex.match(head) is not None
    if not ok:
        raise ValidationError(
            f"{name} does not start with a complete OFX header. Download it from your bank again, or export CSV instead."
        )


def _has_nul(source: Source, end: int) -> bool:
    """Whether a NUL byte comes before offset ``end``: it would end up in a description or an id,
    which the database cannot store."""
    with open_binary(source) as fh:
        read = 0
        while read < end and (chunk := fh.read(min(1 << 20, end - read))):
            if b"\x00" in chunk:
                return True
            read += len(chunk)
    return False


def _posted_on(raw: str, where: str) -> date:
    """The date as the bank wrote it: the first eight digits of an OFX datetime."""
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise ValidationError(f"{where} has no valid posting date ('{raw}').") from None


def _amount(raw: str, currency: str, where: str) -> int:
    try:
        value = Decimal(raw.replace(",", "."))  # some banks write a decimal comma
    except InvalidOperation:
        raise ValidationError(f"{where}: '{raw}' is not an amount.") from None
    if value.is_finite() and value == 0:  # comparing a signalling NaN (sNaN) would raise
        return 0
    try:
        return to_minor(value, currency, allow_negative=True, shown=raw)
    except ValidationError as err:
        raise ValidationError(f"{where}: {err.message}") from None
