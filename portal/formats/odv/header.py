"""ODV header grammar: the ``//`` comment lines and the column header row.

Comment lines carry ``<DataType>``, ``<MissingValueIndicators>``, the
``<MetaVariable>``/``<DataVariable>`` declarations of ODV 4.6+ and the SeaDataNet
semantic lines (``<subject>SDN:LOCAL:…</subject><object>SDN:P01::…</object>``) that map a
column to its P01 parameter and P06 unit. A header label such as
``Temperature [degC]:PRIMARYVAR:DOUBLE`` splits into name, units and ODV type;
``QV:SEADATANET`` (or ``QF``) labels are flag columns of the column before them, and
``QV:ODV:SAMPLE`` a per-sample flag. :func:`parse_header` returns a :class:`Header` with
the separator (tab, semicolon, comma as a last resort), the :class:`Column` list and what
the comments declared, or raises SourceUnavailable when there is no header row with
Longitude/Latitude columns. Pure text work: no table is read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from portal.errors import SourceUnavailable

_TYPED = re.compile(r":(METAVAR|PRIMARYVAR)\b.*$", re.IGNORECASE)
_UNITS = re.compile(r"^(.*?)\s*\[([^\[\]]*)\]\s*$")
_SDN_MAP = re.compile(
    r"<subject>SDN:LOCAL:(.*?)</subject>\s*<object>SDN:P01::(\w+)</object>"
    r"(?:\s*<units>SDN:P06::(\w+)</units>)?"
)
_DECLARED = re.compile(r"<(MetaVariable|DataVariable)>\s*label=\"([^\"]*)\"(.*?)</\1>")
_MISSING = re.compile(r"<MissingValueIndicators>(.*?)</MissingValueIndicators>")
_DATA_TYPE = re.compile(r"<DataType>(.*?)</DataType>")


@dataclass
class Column:
    """One header label: its position, name without type suffix and units, and role hints."""

    pos: int
    label: str
    name: str
    units: str
    typed: str = ""
    qc: str | None = None  # flag scheme of a QV/QF column ("" when unnamed)
    sample_qc: bool = False


@dataclass
class Header:
    """What the ``//`` comment lines and the header row say about the table."""

    index: int
    sep: str
    columns: list[Column]
    comments: list[str]
    missing: tuple[float, ...] = ()
    data_type: str = ""
    p01: dict[str, tuple[str, str]] = field(default_factory=dict)
    meta_labels: set[str] = field(default_factory=set)
    data_labels: set[str] = field(default_factory=set)

    def p01_of(self, col: Column) -> tuple[str, str]:
        """(P01 code, P06 unit code) of a column, ("", "") when the header maps none."""
        return self.p01.get(col.name.lower()) or self.p01.get(col.label.lower()) or ("", "")


def parse_header(lines: list[str], fname: str, name: str) -> Header:
    """Comment lines, header row, separator and the header's declarations."""
    comments: list[str] = []
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index is used after the loop
        text = line.strip()
        if text.startswith("//"):
            comments.append(text[2:].rstrip("\t ;"))
        elif text:
            break
    else:
        raise SourceUnavailable(f"{fname}: no ODV header row (only comments or blank lines)",
                                dataset=name)
    sep = separator(lines[index])
    columns = [parse_column(i, label) for i, label in enumerate(lines[index].split(sep))]
    if find(columns, is_longitude) is None or find(columns, is_latitude) is None:
        shown = lines[index].strip()[:80]
        raise SourceUnavailable(
            f"{fname}: no ODV header row with Longitude/Latitude columns found "
            f"(first non-comment line: {shown!r})", dataset=name,
            hint="is this an ODV spreadsheet export?")
    header = Header(index=index, sep=sep, columns=columns, comments=comments)
    read_declarations(header, "\n".join(comments))
    return header


def separator(line: str) -> str:
    """Tab or semicolon (whichever the header row uses more), comma as a last resort."""
    counts = {sep: line.count(sep) for sep in ("\t", ";", ",")}
    if counts["\t"] or counts[";"]:
        return "\t" if counts["\t"] >= counts[";"] else ";"
    return ","


def read_declarations(header: Header, text: str) -> None:
    """Fill missing values, data type, P01 mapping and declared variables from comments."""
    found = _MISSING.search(text)
    if found:
        header.missing = tuple(_numbers(found.group(1)))
    found = _DATA_TYPE.search(text)
    header.data_type = found.group(1).strip() if found else ""
    for subject, p01, p06 in _SDN_MAP.findall(text):
        header.p01[subject.strip().lower()] = (p01, p06 or "")
    for kind, label, rest in _DECLARED.findall(text):
        (header.meta_labels if kind == "MetaVariable" else header.data_labels).add(label)
        codes = re.search(r"SDN:P01::(\w+)", rest)
        key = parse_column(0, label).name.lower()
        if kind == "DataVariable" and codes and key not in header.p01:
            units = re.search(r"SDN:P06::(\w+)", rest)
            header.p01[key] = (codes.group(1), units.group(1) if units else "")


def _numbers(text: str) -> list[float]:
    """The numbers of a blank/comma/semicolon separated list, other words skipped."""
    out = []
    for word in re.split(r"[\s,;]+", text.strip()):
        try:
            out.append(float(word))
        except ValueError:
            continue
    return out


def parse_column(pos: int, label: str) -> Column:
    """Split ``Temperature [C]:METAVAR:FLOAT:4`` into name, units and type; spot QV columns."""
    label = label.strip()
    typed = _TYPED.search(label)
    base = label[: typed.start()] if typed else label
    parts = base.split(":")
    if parts[0].strip().upper() in ("QV", "QF"):
        scheme = parts[1].strip().upper() if len(parts) > 1 else ""
        sample = parts[-1].strip().upper() == "SAMPLE"
        return Column(pos, label, base, "", qc=scheme if scheme != "SAMPLE" else "",
                      sample_qc=sample)
    found = _UNITS.match(base)
    name, units = (found.group(1), found.group(2)) if found else (base, "")
    return Column(pos, label, name.strip(), units.strip(),
                  typed=typed.group(1).upper() if typed else "")


def find(columns: list[Column], test: Callable[[Column], bool]) -> Column | None:
    """The first value (non-flag) column that passes ``test``."""
    return next((c for c in columns if c.qc is None and test(c)), None)


def is_longitude(col: Column) -> bool:
    low = col.name.lower()
    return low in ("lon", "long") or low.startswith("longitude")


def is_latitude(col: Column) -> bool:
    low = col.name.lower()
    return low == "lat" or low.startswith("latitude")
