"""Write an export the way a real platform does: Chinese headers and values, mixed encodings
and formats, ISO 8601 times in some tables and `YYYY-MM-DD HH:MM:SS` in others, a lower-case
`x` in a roster ID number. Read with `--mapping chinese-headers`.

Written independently of the auditor's own test builders, from docs/export-contract.md only.
Run: `python tests/data/other_platform/make_export.py [TARGET_DIR]`.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
E1, E2 = "91310106MA1G8K2M1M", "91310117MA1J3P4Q5R"  # check characters computed with python-stdnum
# name, ID number (valid GB 11643; 17th digit odd for men, even for women), enterprise,
# employment, project, claimed amount, minutes studied each day (a morning and an afternoon session)
PEOPLE = [
    ("钱芳", "31010619880715002X", E1, "劳动合同", "XM-01", 600, [360, 360, 360]),
    ("吕方", "310104199203030416", E1, "劳务派遣", "XM-01", 600, [360, 360, 330]),
    ("秦明", "310101198512120817", E1, "劳动合同", "XM-01", 600, [360, 360, 360]),
    ("董平", "310109199001019990", E2, "劳动合同", "XM-02", 550, [360, 360, 360]),
    ("花荣", "310110199406066010", E2, "其他", "XM-02", 600, [360, 360, 360]),
]
FIRST_DAY = {"XM-01": dt.date(2022, 5, 9), "XM-02": dt.date(2022, 6, 13)}
# Class starts at 08:00 (XM-01) or 09:00 (XM-02); 210 minutes, a 90-minute lunch break, the rest.
START_HOUR = {"XM-01": 8, "XM-02": 9}
MORNING_MINUTES, LUNCH_MINUTES = 210, 90
SAVED_AT = dt.datetime(2022, 6, 20, 9, 0, 0)  # when the platform wrote the workbook


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def plain(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def save_workbook(book: openpyxl.Workbook, path: Path) -> None:
    """Save with fixed document and zip-entry times, so that re-running writes the same bytes
    (openpyxl stamps `modified` with the clock on save: it is overwritten here)."""
    book.properties.creator = "云课堂"
    book.properties.created = book.properties.modified = SAVED_AT
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=SAVED_AT.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = f"{SAVED_AT:%Y-%m-%dT%H:%M:%S}Z".encode()
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            out.writestr(entry, data)


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    if path.suffix == ".gz":
        with gzip.GzipFile(path, "wb", mtime=0) as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


def main(target: Path = HERE) -> None:
    target.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "企业"
    sheet.append(["统一社会信用代码", "企业名称", "所属区", "企业规模", "主营业务"])
    sheet.append([E1, "上海长宁云帆网络科技有限公司", "长宁区", "小型", "互联网信息服务"])
    sheet.append([E2, "上海松江精工机械有限公司", "松江区", "大型", "通用设备制造"])
    save_workbook(book, target / "企业信息.xlsx")

    write_csv(
        target / "培训项目.csv",
        [
            "项目编号",
            "统一社会信用代码",
            "课程编号",
            "项目名称",
            "备案通过日期",
            "平台名称",
            "平台类型",
        ],
        [
            ["XM-01", E1, "KC-881", "新媒体运营", "2022-05-06", "云课堂", "第三方平台"],
            ["XM-02", E2, "KC-882", "数控车床编程", "2022-06-10", "云课堂", "第三方平台"],
        ],
        "gb18030",
    )
    write_csv(
        target / "花名册.csv",
        ["统一社会信用代码", "身份证号码", "姓名", "手机号码", "用工形式", "入职日期", "离职日期"],
        [
            # Typed into Excel by hand: the check character `X` becomes `x`.
            [e, pid.lower(), name, f"1371234{i:04d}", emp, "2021-03-01", ""]
            for i, (name, pid, e, emp, *_rest) in enumerate(PEOPLE)
        ],
        "utf-8-sig",
    )
    claims, signins, sessions, qa, exams = [], [], [], [], []
    for name, pid, _e, _emp, project, amount, days in PEOPLE:
        first = FIRST_DAY[project]
        last_end = None
        for k, minutes in enumerate(days):
            day = first + dt.timedelta(days=k)
            start = dt.datetime.combine(day, dt.time(START_HOUR[project]))
            morning_end = start + dt.timedelta(minutes=MORNING_MINUTES)
            afternoon = morning_end + dt.timedelta(minutes=LUNCH_MINUTES)
            end = afternoon + dt.timedelta(minutes=minutes - MORNING_MINUTES)
            signins.append(
                {
                    "项目编号": project,
                    "身份证号码": pid,
                    "签到时间": iso(start - dt.timedelta(minutes=5)),
                    "设备编号": f"M-{pid[-4:]}",
                    "IP地址": "101.86.3.4",
                }
            )
            sessions.append((project, pid, start, morning_end, f"KS-{2 * k + 1}"))
            sessions.append((project, pid, afternoon, end, f"KS-{2 * k + 2}"))
            last_end = end
        assert last_end is not None
        qa.append(
            [
                project,
                pid,
                iso(last_end + dt.timedelta(minutes=10)),
                "回答" if name == "钱芳" else "提问",
                "已完成本章练习",
            ]
        )
        if name != "秦明":  # no exam
            exams.append(
                [
                    project,
                    pid,
                    iso(last_end + dt.timedelta(hours=1)),
                    iso(last_end + dt.timedelta(hours=1, minutes=40)),
                    92,
                    60,
                    "md5:0f3c",
                ]
            )
        claims.append(
            [
                project,
                pid,
                plain(dt.datetime.combine(last_end.date() + dt.timedelta(days=3), dt.time(10, 15))),
                amount,
            ]
        )
    write_csv(
        target / "补贴申报.csv.gz",
        ["项目编号", "身份证号码", "导入时间", "申领金额"],
        claims,
        "utf-8",
    )
    with (target / "签到记录.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
        for row in signins:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    pq.write_table(
        pa.table(
            {
                "项目编号": [s[0] for s in sessions],
                "身份证号码": [s[1] for s in sessions],
                "开始时间": pa.array([s[2] for s in sessions], pa.timestamp("s")),
                "结束时间": pa.array([s[3] for s in sessions], pa.timestamp("s")),
                "课时编号": [s[4] for s in sessions],
            }
        ),
        target / "学习记录.parquet",
    )
    write_csv(
        target / "答疑记录.csv",
        ["项目编号", "身份证号码", "发布时间", "类型", "内容"],
        qa,
        "gb18030",
    )
    write_csv(
        target / "考试记录.csv",
        ["项目编号", "身份证号码", "开始时间", "交卷时间", "成绩", "及格分", "答卷摘要"],
        exams,
        "utf-8-sig",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
