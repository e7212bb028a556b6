-- nat-gateway-bytes: the bytes each NAT gateway processed, counted once.
--
-- Reads: flows_classified, nat_gateways.
-- Counted bytes are those on the NAT gateway's own ENI whose peer lies outside the VPC: the
-- leg toward the destination (egress_bytes, sent by the NAT) and the leg back (ingress_bytes).
-- The inside legs carry the same bytes again and are left out.
-- A regional NAT gateway (availability_mode regional) has no subnet and is in the zones of its
-- addresses; a zonal one is in its subnet's zone.
-- Columns: nat_gateway_id, vpc_id, subnet_id, connectivity_type, availability_mode, zones,
-- region, records, bytes, egress_bytes, ingress_bytes.
WITH used AS (
    SELECT
        nat_gateway_id,
        min(vpc_id) AS vpc_id,
        count(*) AS records,
        COALESCE(sum(bytes), 0) AS bytes,
        COALESCE(sum(bytes) FILTER (WHERE direction = 'egress'), 0) AS egress_bytes,
        COALESCE(sum(bytes) FILTER (WHERE direction = 'ingress'), 0) AS ingress_bytes
    FROM flows_classified
    WHERE traffic_class = 'nat_gateway' AND counted
    GROUP BY nat_gateway_id
)
SELECT
    COALESCE(n.nat_gateway_id, u.nat_gateway_id) AS nat_gateway_id,
    COALESCE(n.vpc_id, u.vpc_id) AS vpc_id,
    n.subnet_id,
    n.connectivity_type,
    n.availability_mode,
    array_to_string(n.availability_zones, ', ') AS zones,
    n.region,
    COALESCE(u.records, 0) AS records,
    COALESCE(u.bytes, 0) AS bytes,
    COALESCE(u.egress_bytes, 0) AS egress_bytes,
    COALESCE(u.ingress_bytes, 0) AS ingress_bytes
FROM nat_gateways n
FULL JOIN used u ON u.nat_gateway_id = n.nat_gateway_id
ORDER BY bytes DESC, nat_gateway_id
