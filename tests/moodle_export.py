"""A realistic Moodle log download for the moodle-log adapter: a Chinese site's site-wide log
(Reports → Logs, all courses: a 课程 column first), its columns reordered, year-less times
(strftimerecent, `%m月%d日 %H:%M`), newest first, saved with CR line breaks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.adapter_exports import LI, ZHANG, contract_tables, write_csv, write_tables

ZH_HEADERS = {  # Moodle's zh_cn strings for report_log's columns
    "course": "课程",
    "time": "时间",
    "user": "用户全名",
    "affected": "受影响的用户",
    "context": "事件情境",
    "component": "组件",
    "event": "事件名称",
    "description": "描述",
    "origin": "来源",
    "ip": "IP地址",
}
EN_HEADERS = {
    "course": "Course",
    "time": "Time",
    "user": "User full name",
    "affected": "Affected user",
    "context": "Event context",
    "component": "Component",
    "event": "Event name",
    "description": "Description",
    "origin": "Origin",
    "ip": "IP address",
}
ORDER_ZH = ["course", "event", "time", "user", "description", "context", "affected",
            "component", "origin", "ip"]  # fmt: skip
ORDER_EN = ["time", "user", "affected", "context", "component", "event", "description",
            "origin", "ip"]  # fmt: skip


class Log:
    """A Moodle log: events added in any order, written newest first as Moodle lists them."""

    def __init__(self, lang: str = "zh") -> None:
        self.lang = lang
        self.events: list[dict[str, Any]] = []

    def add(self, at: dt.datetime, user: tuple[str, int], kind: str, **kw: Any) -> dict[str, Any]:
        name, uid = user
        zh = self.lang == "zh"
        course, cmid = "DA101", kw.get("cmid", 31)
        quiz, forum, page = ("测验: 结业考试", "讨论区: 答疑区", "网页: 第一章") if zh else (
            "Quiz: Final exam", "Forum: Q&A", "Page: Chapter 1")  # fmt: skip
        course_ctx = "课程: 数据分析基础" if zh else "Course: Data analysis basics"
        system = "系统" if zh else "System"
        attempt = kw.get("attempt", 7)
        events = {
            "login": (system, system, ("用户已登录", "User has logged in"),
                      f"The user with id '{uid}' has logged in.", "-"),
            "course_viewed": (course_ctx, system, ("查看了课程", "Course viewed"),
                              f"The user with id '{uid}' viewed the course with id '5'.", course),
            "page_viewed": (page, "网页" if zh else "Page",
                            ("查看了课程模块", "Course module viewed"),
                            f"The user with id '{uid}' viewed the 'page' activity with course "
                            f"module id '{cmid}'.", course),
            "discussion": (forum, "讨论区" if zh else "Forum", ("话题已建立", "Discussion created"),
                           f"The user with id '{uid}' has created the discussion with id '9' in "
                           "the forum with course module id '32'.", course),
            "post": (forum, "讨论区" if zh else "Forum", ("帖文已建立", "Post created"),
                     f"The user with id '{uid}' has created the post with id '45' in the "
                     "discussion with id '9' in the forum with course module id '32'.", course),
            "quiz_started": (quiz, "测验" if zh else "Quiz", ("尝试开始测验", "Quiz attempt started"),
                             f"The user with id '{uid}' has started the attempt with id "
                             f"'{attempt}' for the quiz with course module id '40'.", course),
            "quiz_submitted": (quiz, "测验" if zh else "Quiz",
                               ("提交了试答的测验", "Quiz attempt submitted"),
                               f"The user with id '{uid}' has submitted the attempt with id "
                               f"'{attempt}' for the quiz with course module id '40'.", course),
            "course_completed": (course_ctx, system, ("课程已完成", "Course completed"),
                                 f"The user with id '{uid}' completed the course with id '5'.",
                                 course),
            "quiz_reviewed": (quiz, "测验" if zh else "Quiz",
                              ("查看了测验试答", "Quiz attempt reviewed"),
                              f"The user with id '{uid}' has had their attempt with id "
                              f"'{attempt}' reviewed by the user with id '{uid}' for the quiz "
                              "with course module id '40'.", course),
        }  # fmt: skip
        context, component, names, description, course_col = events[kind]
        event = {
            "at": at,
            "course": course_col,
            "time": "",
            "user": name,
            "affected": "-",
            "context": context,
            "component": component,
            "event": names[0] if zh else names[1],
            "description": description,
            "origin": kw.get("origin", "web"),
            "ip": kw.get("ip", "10.0.0.1"),
            "seq": len(self.events),
        }
        self.events.append(event)
        return event

    def write(
        self, path: Path, time_format: str, newline: str = "\r", oldest_first: bool = False
    ) -> dict[int, int]:
        """Write the log; {event seq: record number in the file}."""
        zh = self.lang == "zh"
        headers, order = (ZH_HEADERS, ORDER_ZH) if zh else (EN_HEADERS, ORDER_EN)
        ordered = sorted(self.events, key=lambda e: (e["at"], e["seq"]), reverse=not oldest_first)
        rows, numbers = [], {}
        for n, e in enumerate(ordered, 1):
            e = {**e, "time": moodle_time(e["at"], time_format)}
            rows.append([e[k] for k in order])
            numbers[e["seq"]] = n
        write_csv(path, [headers[k] for k in order], rows, newline=newline)
        return numbers


def moodle_time(at: dt.datetime, time_format: str) -> str:
    """As Moodle's userdate() writes it: the day of month without its leading zero."""
    return at.strftime(time_format.replace("%d", str(at.day)))


ZHANG_USER = ("张伟", 12)
LI_USER = ("李娜", 13)
ADMIN_USER = ("管理员 用户", 2)


def build(folder: Path) -> dict[str, Any]:
    """The Chinese site's log and its tables; record numbers the tests look for."""
    write_tables(folder, contract_tables())
    log = Log("zh")
    ev: dict[str, Any] = {}
    t = dt.datetime
    # 张伟: Wed 03-02 08:00-17:00 (every 20 minutes), Thu 03-03 06:00-15:00 (every 30:00)
    ev["login1"] = log.add(t(2022, 3, 2, 7, 55), ZHANG_USER, "login", ip="10.0.0.8")
    ev["z1_first"] = log.add(t(2022, 3, 2, 8, 0), ZHANG_USER, "course_viewed")
    for k in range(1, 28):
        last = log.add(t(2022, 3, 2, 8, 0) + dt.timedelta(minutes=20 * k), ZHANG_USER,
                       "page_viewed")  # fmt: skip
    ev["z1_last"] = last
    ev["login2"] = log.add(t(2022, 3, 3, 5, 55), ZHANG_USER, "login")
    ev["z2_first"] = log.add(t(2022, 3, 3, 6, 0), ZHANG_USER, "course_viewed")
    for k in range(1, 19):
        last = log.add(t(2022, 3, 3, 6, 0) + dt.timedelta(minutes=30 * k), ZHANG_USER,
                       "page_viewed")  # fmt: skip
    ev["z2_last"] = last
    ev["discussion"] = log.add(t(2022, 3, 3, 14, 10), ZHANG_USER, "discussion")
    ev["post"] = log.add(t(2022, 3, 3, 14, 10), ZHANG_USER, "post")
    ev["quiz_started"] = log.add(t(2022, 3, 3, 15, 1), ZHANG_USER, "quiz_started")
    ev["quiz_submitted"] = log.add(t(2022, 3, 3, 15, 30), ZHANG_USER, "quiz_submitted")
    ev["quiz_reviewed"] = log.add(t(2022, 3, 3, 15, 31), ZHANG_USER, "quiz_reviewed")
    # 李娜: 30 minutes joins, 31 splits; a quiz submitted whose start is not in the log
    ev["l_a1"] = log.add(t(2022, 3, 2, 9, 0), LI_USER, "course_viewed", ip="10.0.0.9")
    ev["l_a2"] = log.add(t(2022, 3, 2, 9, 30), LI_USER, "page_viewed", ip="10.0.0.9")
    ev["l_b1"] = log.add(t(2022, 3, 2, 10, 1), LI_USER, "page_viewed", ip="10.0.0.9")
    ev["l_b2"] = log.add(t(2022, 3, 2, 10, 20), LI_USER, "page_viewed", ip="10.0.0.9")
    ev["l_quiz"] = log.add(t(2022, 3, 2, 11, 0), LI_USER, "quiz_submitted", attempt=8)
    ev["admin"] = log.add(t(2022, 3, 2, 9, 5), ADMIN_USER, "course_viewed")
    # the nightly cron marks 张伟's course complete under his name: not his own action
    ev["cron"] = log.add(t(2022, 3, 4, 3, 0), ZHANG_USER, "course_completed", origin="cli")
    numbers = log.write(folder / "log.csv", "%m月%d日 %H:%M", newline="\r")
    rows = {k: numbers[e["seq"]] for k, e in ev.items()}
    rows["total"] = len(log.events)
    write_csv(folder / "users.csv", ["user_id", "full_name", "person_id"],
              [["12", "张伟", ZHANG], ["", "李娜", LI]])  # fmt: skip
    write_csv(folder / "contexts.csv", ["context", "project_id", "lesson_id"],
              [["DA101", "P1", ""]])  # fmt: skip
    return rows
