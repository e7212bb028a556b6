-- nat-cross-az: subnets whose route table sends internet-bound traffic to a NAT gateway in
-- another availability zone: every byte pays cross-AZ transfer on top of NAT processing, and
-- the subnet loses its egress when that zone fails.
--
-- Findings: nat-cross-az.
-- Reads: subnets, routes, nat_gateways, report_nat_zones, audit_basis; prices through price().
-- A subnet's route table (its own, else the VPC's main one) with a default route (0.0.0.0/0)
-- to a NAT gateway none of whose zones is the subnet's (a gateway whose zone is not known is
-- left out). The NAT gateway the action names in the subnet's zone has the same connectivity
-- (public or private). The bytes are those between the subnet's ENIs and that gateway, from
-- whichever vantage saw more (the gateway's ENI or the clients'); each GB pays cross_az_gb
-- twice. A regional NAT gateway is in the zones of its
-- addresses; the action prices its expansion (regional_nat_gateway_zone_hour per zone) where a
-- zonal one's is a new gateway (nat_gateway_hour). Without traffic seen in the window the
-- finding stays, as an availability finding with no dollar figure.
WITH routed AS (
    SELECT
        s.subnet_id,
        s.vpc_id,
        s.region,
        s.availability_zone,
        s.route_table_id,
        r.target_id AS nat_gateway_id
    FROM subnets s
    JOIN routes r ON r.route_table_id = s.route_table_id
    WHERE r.destination = '0.0.0.0/0' AND r.target_type = 'nat'
        AND COALESCE(r.state, 'active') = 'active'
),
crossing AS (
    SELECT
        r.*,
        n.availability_mode,
        n.connectivity_type,
        array_to_string(n.availability_zones, ', ') AS nat_zones
    FROM routed r
    JOIN nat_gateways n ON n.nat_gateway_id = r.nat_gateway_id
    WHERE r.availability_zone IS NOT NULL AND n.az_count > 0
        AND NOT array_has(n.availability_zones, r.availability_zone)
        AND COALESCE(n.state, 'available') NOT IN ('deleted', 'deleting', 'failed')
),
seen AS (
    SELECT
        subnet_id,
        nat_gateway_id,
        greatest(sum(nat_side_bytes), sum(client_side_bytes)) AS bytes
    FROM report_nat_zones
    GROUP BY subnet_id, nat_gateway_id
),
same_zone AS (
    SELECT
        c.subnet_id,
        min(n.nat_gateway_id) AS nat_gateway_id
    FROM crossing c
    JOIN nat_gateways n ON n.vpc_id = c.vpc_id
        AND n.connectivity_type = c.connectivity_type
        AND array_has(n.availability_zones, c.availability_zone)
        AND COALESCE(n.state, 'available') = 'available'
    GROUP BY c.subnet_id
),
shared AS (
    SELECT route_table_id, count(DISTINCT availability_zone) AS zones
    FROM subnets
    GROUP BY route_table_id
)
SELECT
    'nat-cross-az' AS finding,
    c.subnet_id AS resource,
    c.vpc_id,
    c.region,
    CAST(COALESCE(s.bytes, 0) AS BIGINT) AS bytes,
    CASE WHEN COALESCE(s.bytes, 0) > 0
        THEN s.bytes / b.bytes_per_gb * 2 * price('cross_az_gb', c.region) * b.scale
    END AS monthly_usd,
    'Subnet ' || c.subnet_id || ' in ' || c.availability_zone || ' sends 0.0.0.0/0 (route table '
        || c.route_table_id || ') to ' || CASE WHEN c.availability_mode = 'regional'
            THEN 'regional NAT gateway ' || c.nat_gateway_id || ', active in '
                || COALESCE(c.nat_zones, 'no known zone') || ' but not in ' || c.availability_zone
            ELSE c.nat_gateway_id || ' in ' || COALESCE(c.nat_zones, 'no known zone') END
        || CASE WHEN COALESCE(s.bytes, 0) > 0
            THEN '; ' || format_bytes(s.bytes) || ' crossed zones to and from it in '
                || CAST(round(b.window_hours, 2) AS VARCHAR) || ' h, billed '
                || usd(price('cross_az_gb', c.region), 3)
                || '/GB each way on top of NAT processing'
            ELSE '; no traffic between them was seen in the window' END
        || '; the subnet''s egress depends on another zone'
        AS evidence,
    CASE
        WHEN z.nat_gateway_id IS NOT NULL THEN 'Route 0.0.0.0/0 of ' || c.route_table_id || ' to '
            || z.nat_gateway_id || ', the NAT gateway in ' || c.availability_zone
        WHEN c.availability_mode = 'regional' THEN 'Let ' || c.nat_gateway_id || ' expand into '
            || c.availability_zone || ' (it does once workloads there use it; or give it an '
            || 'address in that zone): '
            || usd(price('regional_nat_gateway_zone_hour', c.region) * b.month_hours)
            || '/month for the zone, against the transfer saved'
        ELSE 'Create a NAT gateway in ' || c.availability_zone || ' ('
            || usd(price('nat_gateway_hour', c.region) * b.month_hours)
            || '/month before data, against the transfer saved) and route 0.0.0.0/0 of '
            || c.route_table_id || ' to it'
    END
        || CASE WHEN COALESCE(sh.zones, 1) > 1
            THEN ', giving the subnets of ' || c.availability_zone || ' a route table of their '
                || 'own (' || c.route_table_id || ' serves subnets in '
                || CAST(sh.zones AS VARCHAR) || ' zones).'
            ELSE '.' END AS action
FROM crossing c
LEFT JOIN seen s ON s.subnet_id = c.subnet_id AND s.nat_gateway_id = c.nat_gateway_id
LEFT JOIN same_zone z ON z.subnet_id = c.subnet_id
LEFT JOIN shared sh ON sh.route_table_id = c.route_table_id
CROSS JOIN audit_basis b
ORDER BY monthly_usd DESC NULLS LAST, resource
