-- coverage: what the audit could not see: ENIs with SKIPDATA, ENIs of the inventory that
-- logged nothing, and ENIs in the logs that the inventory does not describe, each one finding
-- per VPC that counts the ENIs and names the first five.
--
-- Findings: skipdata, unlogged-enis, unknown-enis.
-- Reads: report_coverage.
-- An inventory ENI without a single record has no flow log, or was idle in every aggregation
-- interval; either way its idle verdict rests on silence. An ENI missing from the inventory is
-- classed other, so its bytes escape every finding.
SELECT
    'skipdata' AS finding,
    COALESCE(vpc_id, '-') AS resource,
    vpc_id,
    min(region) AS region,
    CAST(NULL AS BIGINT) AS bytes,
    CAST(NULL AS DOUBLE) AS monthly_usd,
    CAST(count(*) AS VARCHAR) || ' ENI(s) logged ' || CAST(sum(skipdata_records) AS VARCHAR)
        || ' SKIPDATA records covering ' || CAST(round(sum(skipdata_hours), 3) AS VARCHAR)
        || ' h: traffic in them was not logged: '
        || array_to_string(array_slice(array_sort(array_agg(eni_id)), 1, 5), ', ')
        || CASE WHEN count(*) > 5 THEN ', ...' ELSE '' END AS evidence,
    'Check the flow log''s delivery: SKIPDATA means records were dropped (capacity or an '
        || 'internal error).' AS action
FROM report_coverage
WHERE skipdata_records > 0
GROUP BY vpc_id
UNION ALL
SELECT
    'unlogged-enis' AS finding,
    COALESCE(vpc_id, '-') AS resource,
    vpc_id,
    min(region) AS region,
    CAST(NULL AS BIGINT) AS bytes,
    CAST(NULL AS DOUBLE) AS monthly_usd,
    CAST(count(*) AS VARCHAR) || ' ENI(s) of the inventory have no record in the window: '
        || array_to_string(array_slice(array_sort(array_agg(eni_id)), 1, 5), ', ')
        || CASE WHEN count(*) > 5 THEN ', ...' ELSE '' END AS evidence,
    'Enable flow logs on the VPC (or these subnets or ENIs), or accept that their traffic is '
        || 'not audited.' AS action
FROM report_coverage
WHERE in_inventory AND records = 0
GROUP BY vpc_id
UNION ALL
SELECT
    'unknown-enis' AS finding,
    COALESCE(vpc_id, '-') AS resource,
    vpc_id,
    CAST(NULL AS VARCHAR) AS region,
    CAST(NULL AS BIGINT) AS bytes,
    CAST(NULL AS DOUBLE) AS monthly_usd,
    CAST(count(*) AS VARCHAR) || ' ENI(s) in the logs are not in the inventory, so their traffic '
        || 'is classed other: '
        || array_to_string(array_slice(array_sort(array_agg(eni_id)), 1, 5), ', ')
        || CASE WHEN count(*) > 5 THEN ', ...' ELSE '' END AS evidence,
    'Refresh describe-network-interfaces for these accounts and regions.' AS action
FROM report_coverage
WHERE NOT in_inventory
GROUP BY vpc_id
ORDER BY finding, resource
