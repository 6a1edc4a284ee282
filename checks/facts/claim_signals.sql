-- claim_signals: the authenticity signals of each claim, one wide row (grain: project_id,
-- person_id). Rule columns are never NULL; the evidence columns are NULL when the signal is
-- quiet. The columns are documented in the sig_*.sql files they come from.
SELECT
    b.project_id,
    b.person_id,
    b.enterprise_id,
    b.imported_at,
    b.last_exam_at,
    coalesce(c.overlap_minutes, 0) AS overlap_minutes,
    c.overlap_minutes_shown,
    c.overlap_at,
    c.overlap_row,
    c.overlapped_row,
    c.overlap_projects,
    coalesce(d.shared_device, 0) AS shared_device,
    d.shared_device_id,
    d.device_trainees,
    d.device_near_person,
    d.device_near_at,
    d.device_near_text,
    d.device_rows,
    coalesce(l.lockstep_days, 0) AS lockstep_days,
    l.lockstep_first_at,
    l.lockstep_row,
    l.lockstep_partners,
    l.lockstep_partner,
    coalesce(y.implausible_day, 0) AS implausible_day,
    y.busiest_day,
    y.busiest_day_minutes,
    y.long_days,
    y.night_days,
    y.first_night_day,
    coalesce(r.regular_sessions, 1) AS regular_sessions,
    r.regular_start_at,
    r.regular_row,
    r.regular_length_s,
    coalesce(e.fastest_exam_minutes, 1e9) AS fastest_exam_minutes,
    round(e.fastest_exam_minutes, 2) AS fastest_exam_minutes_shown,
    e.fastest_exam_row,
    coalesce(e.shared_answer_trainees, 1) AS shared_answer_trainees,
    e.shared_answers_digest,
    coalesce(a.sessions_after_exam, 0) AS sessions_after_exam,
    a.first_after_exam_row,
    coalesce(a.records_after_import, 0) AS records_after_import,
    a.first_after_import_at,
    coalesce(q.copied_question_trainees, 1) AS copied_question_trainees,
    q.copied_question,
    q.copied_question_row,
    coalesce(p.other_enterprises, 0) AS other_enterprises,
    p.other_enterprise_id,
    p.birth_date,
    p.age_years,
    p.retires_on,
    coalesce(p.age_out_of_range, 0) AS age_out_of_range,
    coalesce(p.phone_other_persons, 0) AS phone_other_persons,
    p.phone_other_person
FROM claim_base b
LEFT JOIN sig_concurrent c ON c.project_id = b.project_id AND c.person_id = b.person_id
LEFT JOIN sig_shared_device d ON d.project_id = b.project_id AND d.person_id = b.person_id
LEFT JOIN sig_lockstep l ON l.project_id = b.project_id AND l.person_id = b.person_id
LEFT JOIN sig_day y ON y.project_id = b.project_id AND y.person_id = b.person_id
LEFT JOIN sig_regularity r ON r.project_id = b.project_id AND r.person_id = b.person_id
LEFT JOIN sig_exam e ON e.project_id = b.project_id AND e.person_id = b.person_id
LEFT JOIN sig_after a ON a.project_id = b.project_id AND a.person_id = b.person_id
LEFT JOIN sig_qa q ON q.project_id = b.project_id AND q.person_id = b.person_id
LEFT JOIN sig_people p ON p.project_id = b.project_id AND p.person_id = b.person_id
