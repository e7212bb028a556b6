-- nat-zones: the bytes each NAT gateway carried for the clients of each subnet, with the
-- client's zone and the gateway's.
--
-- Reads: flows_classified, enis, nat_gateways.
-- The legs between a client ENI and its NAT gateway, both directions, seen from two vantages:
-- the NAT gateway's own ENI (its records whose peer is a client ENI of the VPC) and the
-- client's ENI (its nat_gateway records). Both see the same bytes; nat_side_bytes and
-- client_side_bytes keep them apart, so that a side without flow logs still shows.
-- cross_az marks a client zone that is none of the gateway's zones (a zonal gateway's subnet
-- zone; a regional gateway's active zones); false where the gateway's zones are not known.
-- Columns: nat_gateway_id, availability_mode, nat_zones, vpc_id, region, subnet_id,
-- client_az, cross_az, clients, nat_side_bytes, client_side_bytes.
WITH legs AS (
    -- Summed per gateway, client ENI and side first: the joins below then see a few rows per
    -- ENI instead of one per record.
    SELECT
        nat_gateway_id,
        CASE WHEN class_reason = 'nat-gateway-eni' THEN peer_eni_id ELSE interface_id END
            AS client_eni_id,
        sum(bytes) FILTER (WHERE class_reason = 'nat-gateway-eni') AS nat_side_bytes,
        sum(bytes) FILTER (WHERE class_reason <> 'nat-gateway-eni') AS client_side_bytes
    FROM flows_classified
    WHERE traffic_class = 'nat_gateway' AND nat_gateway_id IS NOT NULL
        AND (class_reason <> 'nat-gateway-eni' OR peer_eni_id IS NOT NULL)
    GROUP BY 1, 2
)
SELECT
    l.nat_gateway_id,
    n.availability_mode,
    array_to_string(n.availability_zones, ', ') AS nat_zones,
    c.vpc_id,
    c.region,
    c.subnet_id,
    c.availability_zone AS client_az,
    c.availability_zone IS NOT NULL AND COALESCE(n.az_count, 0) > 0
        AND NOT array_has(n.availability_zones, c.availability_zone) AS cross_az,
    count(DISTINCT l.client_eni_id) AS clients,
    COALESCE(sum(l.nat_side_bytes), 0) AS nat_side_bytes,
    COALESCE(sum(l.client_side_bytes), 0) AS client_side_bytes
FROM legs l
JOIN enis c ON c.eni_id = l.client_eni_id
LEFT JOIN nat_gateways n ON n.nat_gateway_id = l.nat_gateway_id
GROUP BY l.nat_gateway_id, n.availability_mode, n.availability_zones, n.az_count, c.vpc_id,
    c.region, c.subnet_id, c.availability_zone
ORDER BY nat_gateway_id, subnet_id, client_az
