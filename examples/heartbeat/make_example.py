"""Write the heartbeat example export (examples/heartbeat/): a platform's study summary beside
the players' raw heartbeats, for `auditor audit examples/heartbeat --policy shanghai-2022`.

Three trainees of one project, each claimed for 18 hours of study the platform's
study_sessions.csv records: 张伟 studied them (heartbeats every 5 minutes, 6 hours a day on
three days); 王芳 too, with a 45-minute lunch break on the first day (two sessions); 李娜's
player ran only 4 hours a day, so the platform's summary credits 6 hours its heartbeats do not
support. A teacher's account (teacher01) is not in the actor map, and one heartbeat line has a
quote that never closes. Run `python examples/heartbeat/make_example.py` to rewrite the files.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

HERE = Path(__file__).parent
ENTERPRISE = "91310000MA1FL0LX3F"
PEOPLE = {  # actor: (person_id, name, phone, hours of heartbeats a day)
    "zhangwei": ("310101199001011234", "张伟", "13812345678", 6),
    "wangfang": ("310104198805172468", "王芳", "13912345678", 6),
    "lina": ("310115199511033685", "李娜", "13712345678", 4),
}
DAYS = (dt.date(2022, 3, 2), dt.date(2022, 3, 3), dt.date(2022, 3, 4))
BEAT = dt.timedelta(minutes=5)  # mapping.toml: interval_seconds = 300


def _write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (HERE / name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def _spans(actor: str, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The player's runs on one day: (first heartbeat, end = last heartbeat + one interval)."""
    hours = PEOPLE[actor][3]
    if actor == "wangfang" and day == DAYS[0]:
        return [(_at(day, 8), _at(day, 11)), (_at(day, 11, 45), _at(day, 14, 45))]
    return [(_at(day, 8), _at(day, 8 + hours))]


def main() -> None:
    _write("enterprises.csv", ["enterprise_id", "name", "district", "size_class", "main_business"],
           [[ENTERPRISE, "上海明德信息科技有限公司", "黄浦区", "small", "软件开发"]])  # fmt: skip
    _write(
        "projects.csv",
        ["project_id", "enterprise_id", "course_id", "title", "approved_on", "platform_name",
         "platform_kind"],
        [["P1", ENTERPRISE, "C1", "数据分析基础", "2022-03-01", "学习平台", "third_party"]],
    )  # fmt: skip
    people = list(PEOPLE.items())
    _write(
        "trainees.csv",
        ["enterprise_id", "person_id", "name", "phone", "employment", "employed_from"],
        [[ENTERPRISE, p[0], p[1], p[2], "labor_contract", "2020-01-01"] for _, p in people],
    )
    _write("claims.csv", ["project_id", "person_id", "imported_at", "amount"],
           [["P1", p[0], "2022-03-10 10:00:00", 600] for _, p in people])  # fmt: skip
    _write(
        "signins.csv",
        ["project_id", "person_id", "signed_in_at", "device_id", "ip"],
        [["P1", p[0], _at(d, 7, 55), f"D-{a}", "10.0.0.1"] for a, p in people for d in DAYS],
    )
    # the platform's summary: 6 hours a day for everyone, as it credits them
    summary = []
    for actor, p in people:
        for day in DAYS:
            spans = _spans(actor, day) if actor == "wangfang" else [(_at(day, 8), _at(day, 14))]
            summary += [["P1", p[0], s, e, "L1", f"D-{actor}", "10.0.0.1"] for s, e in spans]
    _write("study_sessions.csv",
           ["project_id", "person_id", "started_at", "ended_at", "lesson_id", "device_id", "ip"],
           summary)  # fmt: skip
    _write("qa.csv", ["project_id", "person_id", "posted_at", "role", "text"],
           [["P1", p[0], _at(DAYS[1], 10), "question", f"{p[1]}：请问数据透视表如何按月分组？"]
            for _, p in people])  # fmt: skip
    _write(
        "exams.csv",
        ["project_id", "person_id", "started_at", "submitted_at", "score", "pass_score",
         "answers_digest"],
        [["P1", p[0], _at(DAYS[2], 15), _at(DAYS[2], 15, 30), 80 + i, 60, f"ans{i}"]
         for i, (_, p) in enumerate(people)],
    )  # fmt: skip
    beats: list[tuple[dt.datetime, list[str]]] = []
    for actor, _ in people:
        for day in DAYS:
            for start, end in _spans(actor, day):
                t = start
                while t < end:  # the last heartbeat is one interval before the run's end
                    beats.append((t, [actor, "P1", "L1", t.isoformat() + "+08:00",
                                      f"D-{actor}", "10.0.0.1"]))  # fmt: skip
                    t += BEAT
    for i in range(20):  # a teacher checking the course: no trainee
        t = _at(DAYS[0], 9) + i * BEAT
        beats.append((t, ["teacher01", "P1", "L1", t.isoformat() + "+08:00", "D-T", "10.0.0.9"]))
    beats.sort(key=lambda b: (b[0], b[1][0]))
    with (HERE / "heartbeats.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["用户", "项目", "课程", "时间", "设备", "IP"])
        for n, (_, row) in enumerate(beats, 1):
            writer.writerow(row)
            if n == 100:  # a line broken in transit: its quote never closes
                fh.write('zhangwei,P1,"L1,2022-03-02T10:00:00+08:00,D-zhangwei,10.0.0.1\n')
    _write("actors.csv", ["actor", "person_id"], [[a, p[0]] for a, p in people])


if __name__ == "__main__":
    main()
