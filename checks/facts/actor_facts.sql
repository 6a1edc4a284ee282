-- actor_facts: raw events an adapter could not tie to a person (grain: source_file, actor).
-- event_rows           events of the actor in the file (never 0: an actor is listed only with
--                      events); they credit no study
-- reason               'actor not mapped' (absent from the actor map) or 'actor mapped to
--                      several person_id'
-- first_row, last_row  its first and last row in the file
SELECT
    source_file,
    actor,
    min(reason) AS reason,
    sum(event_rows) AS event_rows,
    min(first_row) AS first_row,
    max(last_row) AS last_row
FROM unmapped_actors
GROUP BY source_file, actor
