"""GSTR-1 in the GST portal's offline-tool JSON: B2B, CDNR, B2CL, CDNUR, B2CS, nil/exempt,
the HSN summary and the documents issued, for one GSTIN and one month, or one quarter for a
quarterly (QRMP) filer.

Amounts are rupees with two decimals, converted from integer paise with Decimal (never
float) and written as JSON numbers by `dumps` below, because json.dumps cannot write a
Decimal without going through float. The structure follows the portal's published format
(the field names of the offline tool's JSON); tests/reports/gstr1.schema.json holds the
JSON Schema of the part we emit, and a test validates every file against it.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

from glowpos.documents.models import DocumentKind
from glowpos.reports import selectors
from glowpos.tenancy.models import Business

VERSION = "GST3.1.6"  # the offline tool's schema version the file declares
# From the January 2025 return period the HSN summary (Table 12) is filed in two lists,
# supplies to registered (B2B) and to unregistered (B2C) recipients (GSTN advisory, Phase III).
HSN_SPLIT_FROM = date(2025, 1, 1)
HSN_DESCRIPTION_LENGTH = 30
# Table 13 "documents issued": the nature of each series of ours (a redemption note records a
# visit paid from a package; it is not a GST document, so it is not reported).
DOC_NATURE = {
    DocumentKind.TAX_INVOICE: (1, "Invoices for outward supply"),
    DocumentKind.INVOICE_CUM_BILL_OF_SUPPLY: (1, "Invoices for outward supply"),
    DocumentKind.BILL_OF_SUPPLY: (1, "Invoices for outward supply"),
    DocumentKind.CREDIT_NOTE: (5, "Credit Note"),
    DocumentKind.RECEIPT_VOUCHER: (6, "Receipt voucher"),
    DocumentKind.REFUND_VOUCHER: (8, "Refund voucher"),
}
CENT = Decimal("0.01")


def rupees(paise: int) -> Decimal:
    """Integer paise as rupees with exactly two decimals: 2033898 → Decimal('20338.98')."""
    return (Decimal(int(paise)) / 100).quantize(CENT)


def rate(rate_bp: int) -> Decimal | int:
    """1800 → 18, 25 → Decimal('0.25'): the portal's rate in per cent."""
    value = Decimal(int(rate_bp)) / 100
    return int(value) if value == value.to_integral_value() else value


def portal_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def month_range(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def return_period(year: int, month: int, *, quarterly: bool = False) -> tuple[date, date, str]:
    """The first and last day a return covers and its `fp` (MMYYYY). A monthly return is the
    month. A quarterly one (QRMP: turnover up to ₹5 crore) is the quarter the month is in —
    April–June, July–September, October–December, January–March — and its fp is the quarter's
    last month, as the portal names it (Apr–Jun 2025: 062025)."""
    if not quarterly:
        start, end = month_range(year, month)
        return start, end, f"{month:02d}{year}"
    first = month - (month - 1) % 3
    last = first + 2
    return month_range(year, first)[0], month_range(year, last)[1], f"{last:02d}{year}"


def _item(row: dict, num: int, *, intra_fields: bool = True) -> dict:
    det = {"txval": rupees(row["taxable"]), "rt": rate(row["rate_bp"])}
    if intra_fields:
        det.update(camt=rupees(row["cgst"]), samt=rupees(row["sgst"]))
    det.update(iamt=rupees(row["igst"]), csamt=rupees(0))
    return {"num": num, "itm_det": det}


def _per_document(rows: list[dict], *, intra_fields: bool = True) -> dict[int, dict]:
    """Group rows of (document, rate) into documents with numbered items, in order."""
    docs: dict[int, dict] = {}
    for row in rows:
        doc = docs.setdefault(row["doc_id"], {"row": row, "itms": []})
        doc["itms"].append(_item(row, len(doc["itms"]) + 1, intra_fields=intra_fields))
    return docs


def build(*, business: Business, gstin: str, year: int, month: int, quarterly: bool = False,
          using: str | None = None) -> dict:
    """The GSTR-1 of `gstin` for the month (or, `quarterly`, the quarter the month is in), as a
    dict of Decimals, ints and strings."""
    start, end, fp = return_period(year, month, quarterly=quarterly)
    data = selectors.gstr1_lines(business=business, gstin=gstin, start=start, end=end, using=using)
    out: dict = {"gstin": gstin, "fp": fp, "version": VERSION, "hash": "hash"}

    b2b: dict[str, list] = defaultdict(list)
    for doc in _per_document(data["b2b"]).values():
        r = doc["row"]
        b2b[r["gstin_kt"]].append({
            "inum": r["doc_number"], "idt": portal_date(r["doc_date"]),
            "val": rupees(r["doc_total"]), "pos": r["pos"], "rchrg": "N", "inv_typ": "R",
            "itms": doc["itms"],
        })
    if b2b:
        out["b2b"] = [{"ctin": ctin, "inv": invoices} for ctin, invoices in b2b.items()]

    cdnr: dict[str, list] = defaultdict(list)
    for doc in _per_document(data["cdnr"]).values():
        r = doc["row"]
        cdnr[r["gstin_kt"]].append({
            "ntty": "C", "nt_num": r["doc_number"], "nt_dt": portal_date(r["doc_date"]),
            "val": rupees(r["doc_total"]), "pos": r["pos"], "rchrg": "N", "inv_typ": "R",
            "itms": doc["itms"],
        })
    if cdnr:
        out["cdnr"] = [{"ctin": ctin, "nt": notes} for ctin, notes in cdnr.items()]

    b2cl: dict[str, list] = defaultdict(list)
    for doc in _per_document(data["b2cl"], intra_fields=False).values():
        r = doc["row"]
        b2cl[r["pos"]].append({
            "inum": r["doc_number"], "idt": portal_date(r["doc_date"]),
            "val": rupees(r["doc_total"]), "itms": doc["itms"],
        })
    if b2cl:
        out["b2cl"] = [{"pos": pos, "inv": invoices} for pos, invoices in b2cl.items()]

    cdnur = [
        {"typ": "B2CL", "ntty": "C", "nt_num": doc["row"]["doc_number"],
         "nt_dt": portal_date(doc["row"]["doc_date"]), "val": rupees(doc["row"]["doc_total"]),
         "pos": doc["row"]["pos"], "itms": doc["itms"]}
        for doc in _per_document(data["cdnur"], intra_fields=False).values()
    ]
    if cdnur:
        out["cdnur"] = cdnur

    b2cs = [
        {"sply_ty": "INTRA" if r["pos"] == data["state_code"] else "INTER", "pos": r["pos"], "typ": "OE",
         "txval": rupees(r["taxable"]), "rt": rate(r["rate_bp"]), "iamt": rupees(r["igst"]),
         "camt": rupees(r["cgst"]), "samt": rupees(r["sgst"]), "csamt": rupees(0)}
        for r in data["b2cs"] if any(r[k] for k in ("taxable", "cgst", "sgst", "igst"))
    ]
    if b2cs:
        out["b2cs"] = b2cs

    nil = defaultdict(lambda: {"nil_amt": 0, "expt_amt": 0, "ngsup_amt": 0})
    for r in data["nil"]:
        kind = f"{'INTR' if r['inter'] else 'INTRA'}{'B2B' if r['registered'] else 'B2C'}"
        nil[kind]["expt_amt" if r["exempt"] else "nil_amt"] += r["taxable"]
    if any(v for row in nil.values() for v in row.values()):
        out["nil"] = {"inv": [{"sply_ty": kind, **{k: rupees(v) for k, v in amounts.items()}}
                              for kind, amounts in sorted(nil.items())]}

    descriptions = selectors.tax_code_descriptions(business=business, using=using)
    hsn = _hsn(data["hsn"], descriptions)
    if hsn:
        if start >= HSN_SPLIT_FROM:
            out["hsn"] = {"hsn_b2b": _hsn(data["hsn_b2b"], descriptions),
                          "hsn_b2c": _hsn(data["hsn_b2c"], descriptions)}
        else:
            out["hsn"] = {"data": hsn}

    doc_det: dict[int, dict] = {}
    for s in data["series"]:
        if s["kind"] not in DOC_NATURE:
            continue
        num, label = DOC_NATURE[s["kind"]]
        entry = doc_det.setdefault(num, {"doc_num": num, "doc_typ": label, "docs": []})
        entry["docs"].append({"num": len(entry["docs"]) + 1, "from": s["first"], "to": s["last"],
                              "totnum": s["count"], "cancel": s["cancelled"], "net_issue": s["net_issued"]})
    if doc_det:
        out["doc_issue"] = {"doc_det": [doc_det[k] for k in sorted(doc_det)]}
    return out


def _hsn(rows: list[dict], descriptions: dict[str, str]) -> list[dict]:
    out = []
    for r in rows:
        if not any(r[k] for k in ("taxable", "cgst", "sgst", "igst", "quantity")):
            continue
        service = r["code"].startswith("99")  # SAC codes are chapter 99
        out.append({
            "num": len(out) + 1, "hsn_sc": r["code"],
            "desc": descriptions.get(r["code"], "")[:HSN_DESCRIPTION_LENGTH],
            "uqc": "NA" if service else "NOS", "qty": 0 if service else r["quantity"],
            "rt": rate(r["rate_bp"]), "txval": rupees(r["taxable"]), "iamt": rupees(r["igst"]),
            "camt": rupees(r["cgst"]), "samt": rupees(r["sgst"]), "csamt": rupees(0),
        })
    return out


def dumps(value, indent: int | None = 1, _level: int = 0) -> str:
    """JSON text in which a Decimal is written as a number with its own digits (24000.00)."""
    pad = "\n" + " " * (indent * (_level + 1)) if indent else ""
    end = "\n" + " " * (indent * _level) if indent else ""
    sep = ", " if not indent else ","
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(str(k))}: {dumps(v, indent, _level + 1)}" for k, v in value.items()]
        return "{" + sep.join(items) + end + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[" + sep.join(f"{pad}{dumps(v, indent, _level + 1)}" for v in value) + end + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} in GSTR-1 JSON")
