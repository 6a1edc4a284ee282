"""A realistic LRS export for the xapi adapter: two trainees of P1 (the Shanghai clean world's
project), one on a cmi5 course (sessions with IDs), one on a plain xAPI video course (no
session IDs: sessionised by gap), with the faults a real LRS dump has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.adapter_exports import (
    ADL,
    ADL_W3ID,
    AU_EXAM,
    AU_LESSON1,
    AU_LESSON2,
    COURSE,
    FORUM,
    HOME,
    LI,
    MASTERY_EXT,
    VIDEO,
    ZHANG,
    Lrs,
    account,
    contract_tables,
    mbox,
    shanghai,
    write_csv,
    write_tables,
)

VIDEO_VERBS = "https://w3id.org/xapi/video/verbs/"
REG_ZHANG = "6f1c2e0a-2c5b-4f7e-9a51-2b7d0e3c1a01"


def build(folder: Path) -> dict[str, Any]:
    """Write the export into `folder`; the record numbers (lines) the tests look for."""
    write_tables(folder, contract_tables())
    lrs = Lrs()
    rows: dict[str, Any] = {}
    zhang, li = account("zhangwei01"), mbox("LiNa@example.com.cn")

    # 张伟, cmi5: lesson 1 on Wed 2022-03-02 08:00-17:00, lesson 2 on Thu 06:00-15:00
    day1, day2, exam = "s-0302-lesson1", "s-0303-lesson2", "s-0303-exam"
    rows["launch1"] = lrs.add(zhang, ADL + "launched", AU_LESSON1, shanghai(2022, 3, 2, 7, 55),
                              session=day1, registration=REG_ZHANG)  # fmt: skip
    rows["init1"] = lrs.add(zhang, ADL + "initialized", AU_LESSON1, shanghai(2022, 3, 2, 8, 0),
                            session=day1, registration=REG_ZHANG)  # fmt: skip
    for hour in range(9, 17):  # the course unit reports progress every hour: no extra sessions
        lrs.add(zhang, ADL + "progressed", AU_LESSON1, shanghai(2022, 3, 2, hour, 0),
                session=day1, registration=REG_ZHANG,
                result={"extensions": {"https://w3id.org/xapi/cmi5/result/extensions/progress":
                                       (hour - 8) * 11}})  # fmt: skip
    rows["term1"] = lrs.add(zhang, ADL + "terminated", AU_LESSON1, shanghai(2022, 3, 2, 17, 0),
                            session=day1, registration=REG_ZHANG,
                            result={"duration": "PT9H"})  # fmt: skip
    rows["launch2"] = lrs.add(zhang, ADL + "launched", AU_LESSON2, shanghai(2022, 3, 3, 5, 55),
                              session=day2, registration=REG_ZHANG)  # fmt: skip
    rows["init2"] = lrs.add(zhang, ADL + "initialized", AU_LESSON2, shanghai(2022, 3, 3, 6, 0),
                            session=day2, registration=REG_ZHANG)  # fmt: skip
    rows["completed2"] = lrs.add(zhang, ADL + "completed", AU_LESSON2,
                                 shanghai(2022, 3, 3, 14, 59, 30), session=day2,
                                 registration=REG_ZHANG,
                                 result={"completion": True, "duration": "PT8H59M30S"})  # fmt: skip
    # the LRS returns statements in stored order, not by timestamp: the question comes first
    rows["asked"] = lrs.add(zhang, ADL + "asked", FORUM, shanghai(2022, 3, 3, 14, 10),
                            result={"response": "请问数据透视表如何分组？"})  # fmt: skip
    rows["term2"] = lrs.add(zhang, ADL + "terminated", AU_LESSON2, shanghai(2022, 3, 3, 15, 0),
                            session=day2, registration=REG_ZHANG,
                            result={"duration": "PT9H"})  # fmt: skip
    # the final exam: its own cmi5 session; its time is exam time, not study
    rows["launch_exam"] = lrs.add(zhang, ADL + "launched", AU_EXAM, shanghai(2022, 3, 3, 15, 0),
                                  session=exam, registration=REG_ZHANG)  # fmt: skip
    lrs.add(zhang, ADL + "initialized", AU_EXAM, shanghai(2022, 3, 3, 15, 0, 5), session=exam,
            registration=REG_ZHANG)  # fmt: skip
    rows["passed"] = lrs.add(zhang, ADL + "passed", AU_EXAM, shanghai(2022, 3, 3, 15, 30, 5),
                             session=exam, registration=REG_ZHANG,
                             extensions={MASTERY_EXT: 0.6},
                             result={"success": True, "duration": "PT30M",
                                     "score": {"raw": 85, "min": 0, "max": 100,
                                               "scaled": 0.85}})  # fmt: skip
    lrs.add(zhang, ADL + "terminated", AU_EXAM, shanghai(2022, 3, 3, 15, 30, 10), session=exam,
            registration=REG_ZHANG, result={"duration": "PT30M5S"})  # fmt: skip
    rows["satisfied"] = lrs.add(
        zhang,
        ADL_W3ID + "satisfied",
        COURSE,
        shanghai(2022, 3, 3, 15, 30, 11),
        session=exam,
        registration=REG_ZHANG,
    )  # fmt: skip  (LMS bookkeeping: not read)

    # 李娜, a plain xAPI video course, identified by e-mail: sessionised by gap (30 minutes)
    rows["li_launch"] = lrs.add(li, ADL + "launched", VIDEO, shanghai(2022, 3, 2, 8, 59, 30),
                                stamp="2022-03-02T08:59:30+08:00")  # fmt: skip
    rows["li_a1"] = lrs.add(li, VIDEO_VERBS + "played", VIDEO, shanghai(2022, 3, 2, 9, 0))
    rows["li_a2"] = lrs.add(
        li, VIDEO_VERBS + "paused", VIDEO, shanghai(2022, 3, 2, 9, 30)
    )  # +30:00
    rows["li_b1"] = lrs.add(
        li, VIDEO_VERBS + "played", VIDEO, shanghai(2022, 3, 2, 10, 0, 1)
    )  # +30:01
    rows["li_b2"] = lrs.add(li, VIDEO_VERBS + "seeked", VIDEO, shanghai(2022, 3, 2, 10, 20))
    rows["li_b3"] = lrs.add(li, ADL + "completed", VIDEO, shanghai(2022, 3, 2, 10, 45, 0.25))
    # a stray statement, later voided by the course: it would join the two sessions above
    rows["li_stray"] = lrs.add(li, VIDEO_VERBS + "played", VIDEO, shanghai(2022, 3, 2, 9, 45))
    rows["li_voiding"] = lrs.add(li, ADL + "voided", lrs.ids[rows["li_stray"]],
                                 shanghai(2022, 3, 2, 12, 5), statement_ref=True)  # fmt: skip
    rows["li_unknown"] = lrs.add(li, "https://example.com.cn/xapi/verbs/liked", VIDEO,
                                 shanghai(2022, 3, 2, 10, 46))  # fmt: skip
    rows["li_comment"] = lrs.add(li, ADL + "commented", FORUM, shanghai(2022, 3, 2, 10, 50),
                                 result={"response": "视频第三节的公式看不清楚"})  # fmt: skip
    rows["li_failed"] = lrs.add(li, ADL + "failed", AU_EXAM, shanghai(2022, 3, 2, 11, 30),
                                result={"success": False, "duration": "PT1H2M3.5S",
                                        "score": {"scaled": 0.45}},
                                extensions={MASTERY_EXT: 0.6})  # fmt: skip
    rows["malformed"] = lrs.raw('{"id": "broken", "actor": {"mbox": "mailto:lina@example.com.cn"')
    rows["li_bad_duration"] = lrs.add(li, ADL + "failed", AU_EXAM, shanghai(2022, 3, 2, 12, 0),
                                      result={"success": False, "duration": "1 hour",
                                              "score": {"scaled": 0.5}})  # fmt: skip
    rows["stranger"] = lrs.add(account("visitor"), VIDEO_VERBS + "played", VIDEO,
                               shanghai(2022, 3, 2, 9, 0))  # fmt: skip
    # 张伟 on Wednesday evening: a cmi5 session the browser lost (no `terminated`); the LMS
    # abandons it later. Without its pair it is sessionised by gap: 18:00:30-18:25
    lost = "s-0302-evening"
    rows["launch_lost"] = lrs.add(zhang, ADL + "launched", AU_LESSON2,
                                  shanghai(2022, 3, 2, 18, 0), session=lost,
                                  registration=REG_ZHANG)  # fmt: skip
    rows["init_lost"] = lrs.add(zhang, ADL + "initialized", AU_LESSON2,
                                shanghai(2022, 3, 2, 18, 0, 30), session=lost,
                                registration=REG_ZHANG)  # fmt: skip
    lrs.add(zhang, ADL + "experienced", AU_LESSON2, shanghai(2022, 3, 2, 18, 10), session=lost,
            registration=REG_ZHANG)  # fmt: skip
    rows["last_lost"] = lrs.add(zhang, ADL + "experienced", AU_LESSON2,
                                shanghai(2022, 3, 2, 18, 25), session=lost,
                                registration=REG_ZHANG)  # fmt: skip
    rows["abandoned"] = lrs.add(zhang, ADL_W3ID + "abandoned", AU_LESSON2,
                                shanghai(2022, 3, 2, 20, 0), session=lost,
                                registration=REG_ZHANG,
                                result={"duration": "PT2H"})  # fmt: skip
    # a timestamp with a zone name instead of an offset: its instant is unknown, so rejected
    rows["bad_stamp"] = lrs.add(li, VIDEO_VERBS + "played", VIDEO, shanghai(2022, 3, 2, 9, 15),
                                stamp="2022-03-02T09:15:00 CST")  # fmt: skip
    # timestamps have milliseconds: 30:00.5 is more than 30 minutes, so it splits
    rows["li_early1"] = lrs.add(li, VIDEO_VERBS + "played", VIDEO, shanghai(2022, 3, 2, 7, 0))
    rows["li_early2"] = lrs.add(li, VIDEO_VERBS + "paused", VIDEO,
                                shanghai(2022, 3, 2, 7, 30, 0.5))  # fmt: skip
    # the export was fetched page by page and the question came twice: one statement ID
    rows["repeated"] = lrs.raw(lrs.lines[rows["asked"] - 1])
    rows["total"] = len(lrs.lines)
    lrs.write(folder / "statements.jsonl")

    write_csv(folder / "actors.csv", ["actor", "home_page", "person_id"],
              [["zhangwei01", HOME, ZHANG], ["mailto:lina@example.com.cn", "", LI]])  # fmt: skip
    write_csv(folder / "activities.csv", ["activity_id", "project_id", "lesson_id"],
              [[AU_LESSON1, "P1", "L1"], [AU_LESSON2, "P1", "L2"], [AU_EXAM, "P1", ""],
               [FORUM, "P1", ""], [VIDEO, "P1", "V1"]])  # fmt: skip
    return rows
