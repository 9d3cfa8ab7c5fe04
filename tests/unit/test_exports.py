"""Spreadsheet-safe exports: nothing a customer typed can become a formula in Excel or
LibreOffice, in CSV or in .xlsx; figures stay figures; Chinese survives both formats."""
import csv
import io
from datetime import date, datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest

from core.errors import ValidationError
from core.exports import (csv_bytes, excel_bytes, safe_cell, safe_frame, sheet_names)
import core.exports as exports

DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tTAB", "\rCR", "=HYPERLINK(\"http://x\")",
             "  =1+1", " \t@x", "\n=cmd|' /C calc'!A0", "-2+3", "="]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.mark.parametrize("text", DANGEROUS)
def test_safe_cell_prefixes_every_dangerous_start(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["hello", "a=b", "1+1", "'=already quoted", "中文=1", "",
                                  "email@example.com", "#N/A"])
def test_harmless_text_is_unchanged(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [None, 0, -5, 3.25, -0.5, True, False,
                                   date(2026, 11, 26), datetime(2026, 11, 26, 15, 0),
                                   np.int64(-7), np.float64(-1.5)])
def test_numbers_bools_dates_and_none_pass_through(value):
    assert safe_cell(value) is value


def test_lists_are_joined_and_every_element_neutralised():
    assert safe_cell(["a", "=b", 3]) == "a, '=b, 3"
    assert safe_cell(("=a", "b")) == "'=a, b"          # not "''=a": quoted once
    assert safe_cell(["-1", "x"]) == "'-1, x"
    assert safe_cell([None, "=x"]) == ", '=x"
    assert safe_cell([]) == ""
    assert safe_cell({"=b", "a"}) == "'=b, a"           # sets in a stable order


def test_other_objects_and_str_subclasses_become_plain_safe_text():
    from core.vocabulary import AfterSalesKind

    assert safe_cell(AfterSalesKind.RETURN) == "return"
    assert type(safe_cell(AfterSalesKind.RETURN)) is str

    class Weird:
        def __str__(self):
            return "=evil()"
    assert safe_cell(Weird()) == "'=evil()"


def test_safe_frame_neutralises_cells_and_column_names_and_leaves_the_original():
    df = pd.DataFrame({"=total": ["=1", "ok"], "n": [1, 2],
                       "cat": pd.Categorical(["@x", "y"]),
                       "mixed": pd.Series(["-3", 4], dtype=object)})
    out = safe_frame(df)
    assert list(out.columns) == ["'=total", "n", "cat", "mixed"]
    assert out["'=total"].tolist() == ["'=1", "ok"]
    assert out["cat"].tolist() == ["'@x", "y"]
    assert out["mixed"].tolist() == ["'-3", 4]
    assert out["n"].tolist() == [1, 2] and out["n"].dtype == df["n"].dtype
    assert df["=total"].tolist() == ["=1", "ok"] and list(df.columns)[0] == "=total"


# --- CSV -----------------------------------------------------------------------------------

def test_csv_neutralises_every_dangerous_prefix_in_cells_and_header():
    df = pd.DataFrame({"=head": DANGEROUS, "@other": ["x"] * len(DANGEROUS)})
    rows = read_csv(csv_bytes(df))
    assert rows[0] == ["'=head", "'@other"]
    assert [r[0] for r in rows[1:]] == ["'" + t for t in DANGEROUS]
    for row in rows:
        for cell in row:
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), cell
            assert not cell.startswith(("\t", "\r")), cell


def test_csv_joined_lists_are_safe():
    df = pd.DataFrame({"tags": [["ok", "=cmd()"], ["=a", "b"]]})
    assert read_csv(csv_bytes(df))[1:] == [["ok, '=cmd()"], ["'=a, b"]]


def test_csv_has_a_bom_and_round_trips_chinese():
    df = pd.DataFrame({"产品": ["电热水壶", "=空调"], "投诉": [12, 3]})
    data = csv_bytes(df)
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_csv(data) == [["产品", "投诉"], ["电热水壶", "12"], ["'=空调", "3"]]


def test_csv_numbers_are_written_exactly():
    values = [0.1 + 0.2, 1 / 3, -1e-300, 123456789.123456789, 2 ** 53]
    df = pd.DataFrame({"x": values[:4] + [float(values[4])], "n": [1, -2, 3, 0, 2 ** 53]})
    rows = read_csv(csv_bytes(df))[1:]
    assert [float(r[0]) for r in rows] == [float(v) for v in values]
    assert [int(r[1]) for r in rows] == [1, -2, 3, 0, 2 ** 53]


# --- Excel ---------------------------------------------------------------------------------

def test_xlsx_never_holds_a_formula_and_every_dangerous_cell_is_quoted():
    df = pd.DataFrame({"=head": DANGEROUS + ["#N/A"],
                       "list": [["x", "=y"]] * len(DANGEROUS) + [("=z",)]})
    ws = read_xlsx(excel_bytes({"Data": df})).active
    header, *body = list(ws.iter_rows())
    assert header[0].value == "'=head"
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
    for cell, text in zip((r[0] for r in body), DANGEROUS):
        assert cell.data_type == "s" and cell.value.startswith("'")
        # XML reads a bare carriage return back as a line feed; the quote is what matters
        assert cell.value == "'" + text.replace("\r", "\n")
    assert body[-1][0].value == "#N/A" and body[-1][0].data_type == "s"   # not an error
    assert body[0][1].value == "x, '=y" and body[-1][1].value == "'=z"


def test_xlsx_strings_are_forced_to_text_even_without_a_dangerous_start(monkeypatch):
    # even if neutralising were switched off, the cell type alone keeps it from running
    monkeypatch.setattr(exports, "safe_cell", lambda v: v)
    ws = read_xlsx(excel_bytes({"S": pd.DataFrame({"a": ["=1+1"]})})).active
    assert ws["A2"].data_type == "s" and ws["A2"].value == "=1+1"


def test_xlsx_numbers_stay_numbers_exactly():
    floats = [0.1 + 0.2, 1 / 3, -1e-300, 1.5e300, 123456789.123456789, 0.1, -2.5, 1e-5]
    ints = [0, 1, -1, 2 ** 31, -(2 ** 53), 10 ** 15, 7, 42]
    df = pd.DataFrame({"f": floats, "i": ints,
                       "np": np.array(ints, dtype="int64"), "b": [True, False] * 4})
    ws = read_xlsx(excel_bytes({"N": df})).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == floats
    assert [r[1] for r in rows] == ints and [r[2] for r in rows] == ints
    assert [r[3] for r in rows] == [True, False] * 4
    for row in ws.iter_rows(min_row=2):
        assert [c.data_type for c in row] == ["n", "n", "n", "b"]


def test_xlsx_empties_dates_and_chinese():
    df = pd.DataFrame({"名称": ["电热水壶", None, "空调 — 变频"],
                       "x": [1.5, float("nan"), None],
                       "when": pd.to_datetime(["2026-11-26 15:00", None, "2026-01-01 00:00"]),
                       "day": [date(2026, 11, 26), None, date(2026, 1, 1)]})
    ws = read_xlsx(excel_bytes({"中文": df}, title="质量预警")).active
    assert ws.title == "中文"
    assert [c.value for c in ws[1]] == ["名称", "x", "when", "day"]
    assert [c.value for c in ws["A"]][1:] == ["电热水壶", None, "空调 — 变频"]
    assert [c.value for c in ws["B"]][1:] == [1.5, None, None]
    assert [c.value for c in ws["C"]][1:] == [datetime(2026, 11, 26, 15), None,
                                            datetime(2026, 1, 1)]
    assert ws["D2"].value == datetime(2026, 11, 26)       # a date cell reads back as midnight
    assert ws["D2"].is_date


def test_xlsx_header_is_bold_and_frozen_and_columns_are_fitted():
    df = pd.DataFrame({"short": ["a"], "a rather long column name": ["x"],
                       "中文列": ["很长很长很长的中文内容"]})
    data = excel_bytes({"S": df}, title="Report")
    wb = read_xlsx(data)
    ws = wb["S"]
    assert wb.properties.title == "Report"
    assert ws.freeze_panes == "A2"
    assert all(c.font.bold for c in ws[1]) and not ws["A2"].font.bold
    widths = {k: ws.column_dimensions[k].width for k in "ABC"}
    assert widths["A"] < widths["B"]
    assert widths["C"] >= 2 * len("很长很长很长的中文内容")      # wide characters count twice


def test_xlsx_drops_characters_xml_cannot_hold():
    ws = read_xlsx(excel_bytes({"S": pd.DataFrame({"a": ["bell\x07 and\x00 nul"]})})).active
    assert ws["A2"].value == "bell and nul"


def test_xlsx_one_sheet_per_entry_in_order():
    data = excel_bytes({"Complaints": pd.DataFrame({"a": [1]}),
                        "Returns": pd.DataFrame({"b": ["=x"]}),
                        "Empty": pd.DataFrame()})
    wb = read_xlsx(data)
    assert wb.sheetnames == ["Complaints", "Returns", "Empty"]
    assert wb["Returns"]["A2"].value == "'=x"
    assert wb["Empty"].max_row == 1 and wb["Empty"]["A1"].value is None


def test_xlsx_with_no_sheets_is_still_a_workbook():
    assert read_xlsx(excel_bytes({})).sheetnames == ["Sheet"]


def test_sheet_names_follow_excels_rules():
    names = sheet_names(["a/b", "A_B", "x" * 40, "x" * 40, "[Q1]: *?\\",
                         "'quoted'", "", "History", "中文" * 20])
    assert names == ["a_b", "A_B (2)", "x" * 31, "x" * 27 + " (2)", "_Q1__ ___",
                     "quoted", "Sheet", "History_", "中文" * 15 + "中"]
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == len(names)
    wb = read_xlsx(excel_bytes({n: pd.DataFrame({"a": [1]})
                                for n in ["a/b", "A_B", "[Q1]: *?\\"]}))
    assert wb.sheetnames == ["a_b", "A_B (2)", "_Q1__ ___"]


def test_too_many_rows_for_one_sheet_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", 3)
    assert read_xlsx(excel_bytes({"S": pd.DataFrame({"a": [1, 2]})})).active.max_row == 3
    with pytest.raises(ValidationError) as e:
        excel_bytes({"S": pd.DataFrame({"a": [1, 2, 3]})})
    assert e.value.params == {"rows": 3, "limit": 2}
