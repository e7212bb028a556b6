-- endpoint-clients: where each interface endpoint's clients sit, by availability zone.
--
-- Reads: flows_classified, enis.
-- The counted records of each interface endpoint's own ENIs, grouped by the endpoint ENI's
-- zone and the client's: the ENI of the VPC that holds the peer address (client_az NULL when
-- the client is no ENI of the inventory, e.g. on premises). cross_az marks clients in another
-- zone than the endpoint ENI that served them.
-- Columns: endpoint_id, endpoint_az, client_az, cross_az, clients, records, bytes.
SELECT
    c.endpoint_id,
    own.availability_zone AS endpoint_az,
    peer.availability_zone AS client_az,
    (own.availability_zone IS DISTINCT FROM peer.availability_zone)
        AND peer.availability_zone IS NOT NULL AS cross_az,
    count(DISTINCT c.peer) AS clients,
    count(*) AS records,
    COALESCE(sum(c.bytes), 0) AS bytes
FROM flows_classified c
LEFT JOIN enis own ON own.eni_id = c.interface_id
LEFT JOIN enis peer ON peer.eni_id = c.peer_eni_id
WHERE c.counted AND c.traffic_class = 'interface_endpoint'
GROUP BY c.endpoint_id, own.availability_zone, peer.availability_zone
ORDER BY c.endpoint_id, endpoint_az, client_az
