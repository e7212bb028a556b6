-- rejects: rejected traffic by source, destination port, ENI and reason, and the rejects
-- that originate inside the VPC (most often a misconfiguration rather than an attack).
--
-- Reads: flows_classified.
-- Parameters: $top (default 20): rows kept per dimension.
-- REJECT records with log status OK, over every vantage that logged them. Ranks break ties by
-- the key, so the output is stable.
-- Columns: dimension (source | destination_port | eni | reject_reason | inside_source), rank,
-- key, vpc_id (inside_source only), records, bytes, packets.
WITH rejected AS (
    SELECT
        srcaddr,
        dstport,
        interface_id,
        COALESCE(reject_reason, '-') AS reject_reason,
        CASE WHEN vpc_contains(vpc_id, srcaddr) THEN srcaddr END AS inside_source,
        CASE WHEN vpc_contains(vpc_id, srcaddr) THEN vpc_id END AS inside_vpc,
        bytes,
        packets
    FROM flows_classified
    WHERE action = 'REJECT' AND COALESCE(log_status, 'OK') = 'OK'
),
grouped AS (
    SELECT
        CASE
            WHEN grouping(srcaddr) = 0 THEN 'source'
            WHEN grouping(dstport) = 0 THEN 'destination_port'
            WHEN grouping(interface_id) = 0 THEN 'eni'
            WHEN grouping(reject_reason) = 0 THEN 'reject_reason'
            ELSE 'inside_source'
        END AS dimension,
        COALESCE(srcaddr, CAST(dstport AS VARCHAR), interface_id, reject_reason, inside_source)
            AS key,
        inside_vpc AS vpc_id,
        count(*) AS records,
        COALESCE(sum(bytes), 0) AS bytes,
        COALESCE(sum(packets), 0) AS packets
    FROM rejected
    GROUP BY GROUPING SETS (
        (srcaddr), (dstport), (interface_id), (reject_reason), (inside_source, inside_vpc)
    )
),
ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY dimension ORDER BY records DESC, key) AS rank
    FROM grouped
    WHERE key IS NOT NULL
)
SELECT dimension, rank, key, vpc_id, records, bytes, packets
FROM ranked
WHERE rank <= $top
ORDER BY
    CASE dimension
        WHEN 'source' THEN 1 WHEN 'destination_port' THEN 2 WHEN 'eni' THEN 3
        WHEN 'reject_reason' THEN 4 ELSE 5
    END,
    rank
