-- top-talkers: the ENIs, and the (ENI, peer) pairs, that moved the most bytes.
--
-- Reads: flows_classified.
-- Parameters: $top (default 20): rows kept per scope.
-- Counted bytes only, so traffic seen on several ENIs (a NAT hop, an endpoint) is not ranked
-- twice. Ties break by ENI and peer.
-- Columns: scope (eni | eni_peer), rank, interface_id, peer, traffic_class (eni_peer only: a
-- pair whose traffic took two paths is listed once per path), records, bytes, packets.
WITH grouped AS (
    SELECT
        CASE WHEN grouping(peer) = 0 THEN 'eni_peer' ELSE 'eni' END AS scope,
        interface_id,
        peer,
        traffic_class,
        count(*) AS records,
        COALESCE(sum(bytes), 0) AS bytes,
        COALESCE(sum(packets), 0) AS packets
    FROM flows_classified
    WHERE counted
    GROUP BY GROUPING SETS ((interface_id), (interface_id, peer, traffic_class))
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY scope ORDER BY bytes DESC, interface_id, peer, traffic_class
        ) AS rank
    FROM grouped
)
SELECT scope, rank, interface_id, peer, traffic_class, records, bytes, packets
FROM ranked
WHERE rank <= $top
ORDER BY scope, rank
