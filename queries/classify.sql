-- flows_classified: every flow record with the path its traffic took, seen from its ENI.
--
-- Reads: flows, enis, subnets, vpcs, vpc_endpoints, nat_gateways, routes; the inventory's
-- addresses, CIDRs and routes through eni_has_ip, vpc_contains, vpc_eni, vpc_endpoint_at and
-- route_target; ip-ranges.json through aws_service and in_aws_service.
-- Adds to the columns of flows (vpc_id becomes the ENI's VPC from the inventory, else the
-- logged one):
--   traffic_class  interface_endpoint | gateway_endpoint | nat_gateway | internet_gateway |
--                  intra_vpc | transit_gateway | peering | vpn | other; NULL for NODATA and
--                  SKIPDATA records
--   class_reason   which rule gave the class (for explaining a figure)
--   counted        true on the one vantage that cost figures use, so each byte counts once
--   peer           the address at the other end: dstaddr when the ENI sent, srcaddr when it
--                  received, NULL when neither address is the ENI's own
--   direction      egress | ingress from the ENI's addresses, else the logged flow_direction
--   peer_in_vpc    whether the peer lies in the VPC's CIDR blocks
--   peer_eni_id    the ENI of the same VPC that holds the peer address
--   endpoint_id    the VPC endpoint the traffic went through (endpoint classes only)
--   nat_gateway_id the NAT gateway it went through, when one can be named (nat_gateway only)
--   aws_service    the ip-ranges.json service of the peer (specific services before AMAZON)
--   route_target   where the ENI's subnet's route table sends the peer, when route tables
--                  were given
--
-- Rules, first match wins: ENI not in the inventory -> other; the ENI is an interface-endpoint
-- ENI -> interface_endpoint; a NAT gateway ENI -> nat_gateway; no peer -> other; the peer is an
-- interface-endpoint ENI of the VPC -> interface_endpoint; the peer is IPv4 S3/DynamoDB of the
-- VPC's region and the VPC's gateway endpoint serves it (by the subnet's route when route
-- tables are known) -> gateway_endpoint; the peer is in the VPC -> intra_vpc; the peer is
-- public -> by the subnet's route (igw, nat, tgw, pcx, vgw) when known, else internet_gateway
-- for IPv6 or an ENI with a public IPv4, else nat_gateway when the VPC has one; anything else
-- -> by route or logged traffic_path (transit_gateway, peering, vpn), else other.
WITH eni_context AS (
    -- One row per ENI with everything the rules need from the rest of the inventory, so the
    -- flows meet the inventory in a single join.
    SELECT
        e.eni_id,
        e.vpc_id AS eni_vpc_id,
        e.role AS eni_role,
        e.endpoint_id AS eni_endpoint_id,
        e.nat_gateway_id AS eni_nat_gateway_id,
        e.public_ip AS eni_public_ip,
        COALESCE(v.region, e.region) AS vpc_region,
        CASE WHEN rt.route_table_id IS NOT NULL THEN s.route_table_id END AS known_route_table,
        g.s3_endpoint_id,
        g.dynamodb_endpoint_id,
        n.nat_gateway_id AS vpc_nat_gateway_id,
        COALESCE(n.nat_gateways, 0) AS vpc_nat_gateways
    FROM enis e
    LEFT JOIN vpcs v ON v.vpc_id = e.vpc_id
    LEFT JOIN subnets s ON s.subnet_id = e.subnet_id
    LEFT JOIN (SELECT DISTINCT route_table_id FROM routes) rt ON rt.route_table_id = s.route_table_id
    LEFT JOIN (
        SELECT
            vpc_id,
            min(endpoint_id) FILTER (WHERE upper(service) = 'S3') AS s3_endpoint_id,
            min(endpoint_id) FILTER (WHERE upper(service) = 'DYNAMODB') AS dynamodb_endpoint_id
        FROM vpc_endpoints
        WHERE endpoint_type = 'gateway'
        GROUP BY vpc_id
    ) g ON g.vpc_id = e.vpc_id
    LEFT JOIN (
        SELECT vpc_id, min(nat_gateway_id) AS nat_gateway_id, count(*) AS nat_gateways
        FROM nat_gateways
        GROUP BY vpc_id
    ) n ON n.vpc_id = e.vpc_id
),
located AS (
    SELECT
        f.*,
        c.eni_id IS NOT NULL AS eni_known,
        c.eni_vpc_id,
        c.eni_role,
        c.eni_endpoint_id,
        c.eni_nat_gateway_id,
        c.eni_public_ip,
        c.vpc_region,
        c.known_route_table,
        c.s3_endpoint_id,
        c.dynamodb_endpoint_id,
        c.vpc_nat_gateway_id,
        c.vpc_nat_gateways,
        eni_has_ip(f.interface_id, f.srcaddr) AS src_own,
        eni_has_ip(f.interface_id, f.dstaddr) AS dst_own
    FROM flows f
    LEFT JOIN eni_context c ON c.eni_id = f.interface_id
),
peered AS (
    SELECT
        *,
        CASE WHEN src_own THEN dstaddr WHEN dst_own THEN srcaddr END AS peer
    FROM located
),
looked_up AS (
    SELECT
        p.*,
        vpc_contains(p.eni_vpc_id, p.peer) AS peer_in_vpc,
        vpc_eni(p.eni_vpc_id, p.peer) AS peer_eni_id,
        vpc_endpoint_at(p.eni_vpc_id, p.peer) AS peer_endpoint_id,
        route_target(p.known_route_table, p.peer) AS route_target,
        aws_service(p.peer) AS aws_service,
        ip_family(p.peer) AS peer_family,
        is_public_ip(p.peer) AS peer_public
    FROM peered p
),
joined AS (
    SELECT
        *,
        CASE
            WHEN aws_service IS NULL OR peer_family <> 'ipv4' OR peer_in_vpc THEN NULL
            WHEN in_aws_service(peer, 'S3', vpc_region) THEN 'S3'
            WHEN in_aws_service(peer, 'DYNAMODB', vpc_region) THEN 'DYNAMODB'
        END AS gateway_service
    FROM looked_up
),
with_gateway AS (
    SELECT
        *,
        CASE gateway_service
            WHEN 'S3' THEN s3_endpoint_id
            WHEN 'DYNAMODB' THEN dynamodb_endpoint_id
        END AS gateway_endpoint_id
    FROM joined
),
ruled AS (
    SELECT
        *,
        CASE
            WHEN COALESCE(log_status, 'OK') <> 'OK' THEN NULL
            WHEN NOT eni_known THEN 'eni-not-in-inventory'
            WHEN eni_role = 'vpc_endpoint' THEN 'endpoint-eni'
            WHEN eni_role = 'nat_gateway' THEN 'nat-gateway-eni'
            WHEN peer IS NULL THEN 'no-peer'
            WHEN peer_endpoint_id IS NOT NULL THEN 'peer-is-endpoint-eni'
            WHEN gateway_service IS NOT NULL AND known_route_table IS NOT NULL
                AND route_target LIKE 'vpce-%' THEN 'route-to-gateway-endpoint'
            WHEN gateway_service IS NOT NULL AND known_route_table IS NULL
                AND gateway_endpoint_id IS NOT NULL THEN 'vpc-has-gateway-endpoint'
            WHEN peer_in_vpc THEN 'peer-in-vpc'
            WHEN peer_public AND known_route_table IS NOT NULL THEN 'route-to-public-peer'
            WHEN peer_public AND peer_family = 'ipv6' THEN 'public-ipv6-peer'
            WHEN peer_public AND eni_public_ip IS NOT NULL THEN 'eni-has-public-ip'
            WHEN peer_public AND vpc_nat_gateways > 0 THEN 'vpc-has-nat-gateway'
            WHEN known_route_table IS NOT NULL THEN 'route-to-private-peer'
            ELSE 'private-peer-outside-vpc'
        END AS class_reason
    FROM with_gateway
),
classed AS (
    SELECT
        *,
        CASE class_reason
            WHEN 'eni-not-in-inventory' THEN 'other'
            WHEN 'endpoint-eni' THEN 'interface_endpoint'
            WHEN 'nat-gateway-eni' THEN 'nat_gateway'
            WHEN 'no-peer' THEN 'other'
            WHEN 'peer-is-endpoint-eni' THEN 'interface_endpoint'
            WHEN 'route-to-gateway-endpoint' THEN 'gateway_endpoint'
            WHEN 'vpc-has-gateway-endpoint' THEN 'gateway_endpoint'
            WHEN 'peer-in-vpc' THEN 'intra_vpc'
            WHEN 'public-ipv6-peer' THEN 'internet_gateway'
            WHEN 'eni-has-public-ip' THEN 'internet_gateway'
            WHEN 'vpc-has-nat-gateway' THEN 'nat_gateway'
            WHEN 'private-peer-outside-vpc' THEN
                CASE traffic_path WHEN 3 THEN 'vpn' WHEN 4 THEN 'peering' WHEN 5 THEN 'peering'
                    ELSE 'other' END
            ELSE
                CASE
                    WHEN class_reason IS NULL THEN NULL
                    WHEN route_target LIKE 'igw-%' OR route_target LIKE 'eigw-%' THEN 'internet_gateway'
                    WHEN route_target LIKE 'nat-%' THEN 'nat_gateway'
                    WHEN route_target LIKE 'tgw-%' THEN 'transit_gateway'
                    WHEN route_target LIKE 'pcx-%' THEN 'peering'
                    WHEN route_target LIKE 'vgw-%' THEN 'vpn'
                    ELSE 'other'
                END
        END AS traffic_class
    FROM ruled
)
SELECT
    * EXCLUDE (
        vpc_id, eni_known, eni_vpc_id, eni_role, eni_endpoint_id, eni_nat_gateway_id,
        eni_public_ip, vpc_region, known_route_table, src_own, dst_own, gateway_service,
        peer_family, peer_public, peer_endpoint_id, gateway_endpoint_id,
        s3_endpoint_id, dynamodb_endpoint_id, vpc_nat_gateway_id, vpc_nat_gateways
    ),
    COALESCE(eni_vpc_id, vpc_id) AS vpc_id,
    CASE traffic_class
        WHEN 'nat_gateway' THEN eni_role = 'nat_gateway' AND peer IS NOT NULL AND NOT peer_in_vpc
        WHEN 'interface_endpoint' THEN eni_role = 'vpc_endpoint'
        WHEN 'intra_vpc' THEN src_own OR peer_eni_id IS NULL
        ELSE traffic_class IS NOT NULL
    END AS counted,
    CASE WHEN src_own THEN 'egress' WHEN dst_own THEN 'ingress' ELSE flow_direction END AS direction,
    CASE
        WHEN class_reason = 'endpoint-eni' THEN eni_endpoint_id
        WHEN class_reason = 'peer-is-endpoint-eni' THEN peer_endpoint_id
        WHEN class_reason = 'route-to-gateway-endpoint' THEN route_target
        WHEN class_reason = 'vpc-has-gateway-endpoint' THEN gateway_endpoint_id
    END AS endpoint_id,
    CASE
        WHEN traffic_class IS DISTINCT FROM 'nat_gateway' THEN NULL
        WHEN eni_nat_gateway_id IS NOT NULL THEN eni_nat_gateway_id
        WHEN route_target LIKE 'nat-%' THEN route_target
        WHEN vpc_nat_gateways = 1 THEN vpc_nat_gateway_id
    END AS nat_gateway_id
FROM classed
