-- rejects: what security groups and network ACLs refused: a summary with the top sources and
-- ports, and every source inside a VPC whose traffic was refused.
--
-- Findings: rejects, inside-rejects.
-- Reads: report_rejects.
-- Rejects from outside are mostly scans, worth a look but rarely a fault; a source inside the
-- VPC being refused is most often a misconfiguration (a security group or ACL that is missing
-- a rule, or a client pointed at the wrong place).
WITH totals AS (
    SELECT sum(records) AS records, sum(bytes) AS bytes
    FROM report_rejects
    WHERE dimension = 'reject_reason'
),
tops AS (
    SELECT
        array_to_string(array_agg(key || ' (' || CAST(records AS VARCHAR) || ')' ORDER BY rank)
            FILTER (WHERE dimension = 'source' AND rank <= 5), ', ') AS sources,
        array_to_string(array_agg(key || ' (' || CAST(records AS VARCHAR) || ')' ORDER BY rank)
            FILTER (WHERE dimension = 'destination_port' AND rank <= 5), ', ') AS ports
    FROM report_rejects
)
SELECT
    'rejects' AS finding,
    'all ENIs' AS resource,
    CAST(NULL AS VARCHAR) AS vpc_id,
    CAST(NULL AS VARCHAR) AS region,
    CAST(t.bytes AS BIGINT) AS bytes,
    CAST(NULL AS DOUBLE) AS monthly_usd,
    CAST(t.records AS VARCHAR) || ' rejected records (' || format_bytes(t.bytes)
        || '); top sources: ' || COALESCE(p.sources, '-')
        || '; top destination ports: ' || COALESCE(p.ports, '-') AS evidence,
    'Review the top sources; the rejects from inside a VPC are listed apart.' AS action
FROM totals t
CROSS JOIN tops p
WHERE t.records > 0
UNION ALL
SELECT
    'inside-rejects' AS finding,
    key AS resource,
    vpc_id,
    CAST(NULL AS VARCHAR) AS region,
    CAST(bytes AS BIGINT) AS bytes,
    CAST(NULL AS DOUBLE) AS monthly_usd,
    CAST(records AS VARCHAR) || ' rejected records (' || CAST(packets AS VARCHAR)
        || ' packets) sent from inside ' || COALESCE(vpc_id, 'the VPC') AS evidence,
    'Check the security groups and network ACLs between this source and its destinations: '
        || 'traffic from inside the VPC is being refused.' AS action
FROM report_rejects
WHERE dimension = 'inside_source'
ORDER BY finding, resource
