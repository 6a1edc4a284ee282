-- enterprise_facts: each training institution's credit code (grain: institution_id).
-- The shared rule ENTERPRISE_ID_INVALID reads enterprise_id_valid here (institutions are
-- registered organisations with a Unified Social Credit Code, as enterprises are).
-- enterprise_id_valid  GB 32100 check character of institution_id
SELECT institution_id, name, uscc_valid(institution_id) AS enterprise_id_valid
FROM institutions
