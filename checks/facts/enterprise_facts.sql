-- enterprise_facts: checks of each enterprise (grain: enterprise_id).
-- enterprise_id_valid  GB 32100 check character of the Unified Social Credit Code
SELECT enterprise_id, name, uscc_valid(enterprise_id) AS enterprise_id_valid
FROM enterprises
