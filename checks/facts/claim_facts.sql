-- claim_facts: the one wide row per claim that the claim rules validate (grain: project_id,
-- person_id). Rule columns are never NULL: GX does not count a NULL as unexpected.
-- person_id_valid        ID_INVALID: check digit and birth date (GB 11643)
-- region_known           ID_REGION_UNKNOWN (info): birth-place code known to python-stdnum
-- employment_covered     NOT_EMPLOYED: 1 when the roster covers the training period
-- size_eligible          SIZE_INELIGIBLE: 1 when the enterprise's size class may claim
-- activity_count         NO_ACTIVITY: sign-ins + study sessions + exams
-- early_activity_count   BEFORE_APPROVAL;  late_activity_count WINDOW_EXCEEDED
-- outside_period_count   OUTSIDE_POLICY_PERIOD
-- import_late_days       IMPORT_LATE: calendar days after the deadline, 0 when on time
-- credited_minutes       HOURS_SHORT (with the tie-out: the lower of platform and raw events)
-- summary_unsupported    SUMMARY_UNSUPPORTED: 1 when, in the tie-out, the platform credits more
--                        than the raw events support by more than summary_excess_percent % of
--                        the raw time AND by more than summary_excess_minutes; 0 without raw
-- platform_minutes, raw_minutes, unsupported_minutes (platform - raw)   NULL without the tie-out
-- study_rows             raw file rows of adapter-derived sessions, e.g. "heartbeats.csv rows
--                        12–340"; NULL when the sessions came from the platform's table
-- signin_count           NO_SIGNIN;  unsigned_study_days STUDY_WITHOUT_SIGNIN
-- qa_count               NO_QA;  exam_count NO_EXAM
-- exam_before_study_end  EXAM_BEFORE_STUDY_END: 1 when the last exam precedes the last study end
-- overlapped_claims      SEQUENCE_OVERLAP;  earlier_course_claims DUPLICATE_COURSE
-- amount_diff_yuan       AMOUNT_MISMATCH: |amount - subsidy_yuan|
-- project_known          UNKNOWN_PROJECT: 1 when the claimed project is in projects
-- claim_rows             DUPLICATE_IMPORT: rows in claims for this project and person
SELECT
    b.project_id,
    b.person_id,
    b.enterprise_id,
    e.name AS enterprise_name,
    coalesce(e.size_class, '') AS size_class,
    b.course_id,
    b.approved_on,
    b.window_end,
    b.imported_at,
    b.amount,
    b.first_activity_at,
    b.last_activity_at,
    b.last_study_end_at,
    b.last_exam_at,
    coalesce(pf.person_id_valid, false) AS person_id_valid,
    coalesce(pf.region_known, false) AS region_known,
    coalesce(em.employment_covered, 0) AS employment_covered,
    CASE WHEN e.size_class IN (SELECT size_class FROM policy_size_classes) THEN 1 ELSE 0 END
        AS size_eligible,
    b.activity_count,
    b.early_activity_count,
    b.late_activity_count,
    b.outside_period_count,
    ci.import_deadline,
    coalesce(ci.import_late_days, 0) AS import_late_days,
    b.credited_minutes,
    b.platform_minutes,
    b.raw_minutes,
    CASE WHEN b.raw_study = 1 THEN round((b.platform_seconds - b.raw_seconds) / 60.0, 2) END
        AS unsupported_minutes,
    CASE WHEN b.raw_study = 1
              AND b.platform_seconds * 100 > b.raw_seconds * (100 + pol.summary_excess_percent)
              AND b.platform_seconds - b.raw_seconds > pol.summary_excess_minutes * 60
         THEN 1 ELSE 0 END AS summary_unsupported,
    sr.study_rows,
    b.signin_count,
    b.unsigned_study_days,
    b.first_unsigned_day,
    b.qa_count,
    b.exam_count,
    CASE WHEN b.exam_count > 0 AND b.study_count > 0 AND b.last_exam_at < b.last_study_end_at
         THEN 1 ELSE 0 END AS exam_before_study_end,
    coalesce(sq.overlapped_claims, 0) AS overlapped_claims,
    sq.overlapped_project_id,
    coalesce(du.earlier_course_claims, 0) AS earlier_course_claims,
    du.first_course_project_id,
    abs(coalesce(b.amount, 0) - pol.subsidy_yuan) AS amount_diff_yuan,
    CASE WHEN b.approved_on IS NULL THEN 0 ELSE 1 END AS project_known,
    b.claim_rows
FROM claim_base b
CROSS JOIN policy pol
LEFT JOIN enterprises e ON e.enterprise_id = b.enterprise_id
LEFT JOIN person_facts pf ON pf.person_id = b.person_id
LEFT JOIN claim_employment em ON em.project_id = b.project_id AND em.person_id = b.person_id
LEFT JOIN claim_import ci ON ci.project_id = b.project_id AND ci.person_id = b.person_id
LEFT JOIN claim_sequence sq ON sq.project_id = b.project_id AND sq.person_id = b.person_id
LEFT JOIN claim_study_rows sr ON sr.project_id = b.project_id AND sr.person_id = b.person_id
LEFT JOIN claim_duplicate du ON du.project_id = b.project_id AND du.person_id = b.person_id
