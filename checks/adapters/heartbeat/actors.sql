-- heartbeat/actors: the actor map -> actor_map, one row per actor that names exactly one
-- person (an actor given two ID numbers maps to none; unmapped.sql counts its heartbeats).
CREATE TABLE actor_map AS
SELECT actor, min(person_id) AS person_id
FROM in_actors
GROUP BY actor
HAVING count(DISTINCT person_id) = 1
