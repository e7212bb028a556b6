-- flows_classified: every flow record with the path its traffic took, seen from its ENI.
--
-- Reads: flows; the inventory (ENIs, VPCs, subnets, route tables, endpoints, NAT gateways) and
-- ip-ranges.json through flow_facts (one call per record answering what the inventory says of
-- its ENI, and what eni_has_ip, vpc_contains, vpc_eni, vpc_endpoint_at, route_target,
-- aws_service and in_aws_service would).
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
WITH looked_up AS (
    -- The record's ENI and addresses against the inventory and ip-ranges.json (each looked up
    -- or parsed once): what the inventory says of the ENI and its VPC, whether the ENI owns the
    -- source or the destination, the peer at the other end, and where the peer lies.
    -- gateway_service: S3 or DYNAMODB when an IPv4 peer outside the VPC lies in that service's
    -- ranges of the VPC's region; gateway_endpoint_id: the VPC's gateway endpoint for it.
    -- nat_gateway_via: the NAT gateway traffic to the peer would go through: the ENI's own (on
    -- a NAT gateway's ENI), else the one the subnet's route sends the peer to, else the VPC's
    -- only one.
    SELECT
        * EXCLUDE (facts),
        facts['eni_known'] AS eni_known,
        facts['eni_vpc_id'] AS eni_vpc_id,
        facts['eni_role'] AS eni_role,
        facts['eni_endpoint_id'] AS eni_endpoint_id,
        facts['eni_public_ip'] AS eni_public_ip,
        facts['routes_known'] AS routes_known,
        facts['vpc_has_nat_gateway'] AS vpc_has_nat_gateway,
        facts['src_own'] AS src_own,
        facts['dst_own'] AS dst_own,
        facts['peer'] AS peer,
        facts['peer_in_vpc'] AS peer_in_vpc,
        facts['peer_eni_id'] AS peer_eni_id,
        facts['peer_endpoint_id'] AS peer_endpoint_id,
        facts['route_target'] AS route_target,
        facts['aws_service'] AS aws_service,
        facts['peer_family'] AS peer_family,
        facts['peer_public'] AS peer_public,
        facts['gateway_service'] AS gateway_service,
        facts['gateway_endpoint_id'] AS gateway_endpoint_id,
        facts['nat_gateway_via'] AS nat_gateway_via
    FROM (SELECT *, flow_facts(interface_id, srcaddr, dstaddr) AS facts FROM flows)
),
tested AS (
    -- Every other condition the rules test, as a flag (unknown counts as false); the ENI's
    -- facts are never unknown once the ENI is known.
    SELECT
        *,
        COALESCE(log_status, 'OK') = 'OK' AS is_ok,
        COALESCE(eni_role = 'vpc_endpoint', false) AS on_endpoint_eni,
        COALESCE(eni_role = 'nat_gateway', false) AS on_nat_gateway_eni,
        peer IS NOT NULL AS has_peer,
        peer_endpoint_id IS NOT NULL AS peer_is_endpoint_eni,
        gateway_service IS NOT NULL AS to_gateway_service,
        gateway_endpoint_id IS NOT NULL AS vpc_has_gateway_endpoint,
        COALESCE(starts_with(route_target, 'vpce-'), false) AS routed_to_gateway_endpoint,
        COALESCE(peer_in_vpc, false) AS in_vpc,
        COALESCE(peer_public, false) AS public_peer,
        COALESCE(peer_family = 'ipv6', false) AS ipv6_peer,
        split_part(route_target, '-', 1) AS route_kind
    FROM looked_up
),
ruled AS (
    SELECT
        *,
        CASE
            WHEN NOT is_ok THEN NULL
            WHEN NOT COALESCE(eni_known, false) THEN 'eni-not-in-inventory'
            WHEN on_endpoint_eni THEN 'endpoint-eni'
            WHEN on_nat_gateway_eni THEN 'nat-gateway-eni'
            WHEN NOT has_peer THEN 'no-peer'
            WHEN peer_is_endpoint_eni THEN 'peer-is-endpoint-eni'
            WHEN to_gateway_service AND routes_known AND routed_to_gateway_endpoint
                THEN 'route-to-gateway-endpoint'
            WHEN to_gateway_service AND NOT routes_known AND vpc_has_gateway_endpoint
                THEN 'vpc-has-gateway-endpoint'
            WHEN in_vpc THEN 'peer-in-vpc'
            WHEN public_peer AND routes_known THEN 'route-to-public-peer'
            WHEN public_peer AND ipv6_peer THEN 'public-ipv6-peer'
            WHEN public_peer AND eni_public_ip THEN 'eni-has-public-ip'
            WHEN public_peer AND vpc_has_nat_gateway THEN 'vpc-has-nat-gateway'
            WHEN routes_known THEN 'route-to-private-peer'
            ELSE 'private-peer-outside-vpc'
        END AS class_reason
    FROM tested
),
classed AS (
    -- The class follows the same rules as class_reason, written out once more so that it is
    -- one pass of flags too: the route-to-* reasons take the class of the route's target, a
    -- private peer outside the VPC without routes the logged traffic_path's.
    SELECT
        *,
        CASE
            WHEN NOT is_ok THEN NULL
            WHEN NOT COALESCE(eni_known, false) THEN 'other'
            WHEN on_endpoint_eni THEN 'interface_endpoint'
            WHEN on_nat_gateway_eni THEN 'nat_gateway'
            WHEN NOT has_peer THEN 'other'
            WHEN peer_is_endpoint_eni THEN 'interface_endpoint'
            WHEN to_gateway_service AND routes_known AND routed_to_gateway_endpoint
                THEN 'gateway_endpoint'
            WHEN to_gateway_service AND NOT routes_known AND vpc_has_gateway_endpoint
                THEN 'gateway_endpoint'
            WHEN in_vpc THEN 'intra_vpc'
            WHEN routes_known AND (route_kind = 'igw' OR route_kind = 'eigw')
                THEN 'internet_gateway'
            WHEN routes_known AND route_kind = 'nat' THEN 'nat_gateway'
            WHEN routes_known AND route_kind = 'tgw' THEN 'transit_gateway'
            WHEN routes_known AND route_kind = 'pcx' THEN 'peering'
            WHEN routes_known AND route_kind = 'vgw' THEN 'vpn'
            WHEN routes_known THEN 'other'
            WHEN public_peer AND ipv6_peer THEN 'internet_gateway'
            WHEN public_peer AND eni_public_ip THEN 'internet_gateway'
            WHEN public_peer AND vpc_has_nat_gateway THEN 'nat_gateway'
            WHEN traffic_path = 3 THEN 'vpn'
            WHEN traffic_path = 4 OR traffic_path = 5 THEN 'peering'
            ELSE 'other'
        END AS traffic_class
    FROM ruled
)
SELECT
    * EXCLUDE (
        vpc_id, eni_known, eni_vpc_id, eni_role, eni_endpoint_id, nat_gateway_via,
        eni_public_ip, routes_known, vpc_has_nat_gateway, src_own, dst_own,
        gateway_service, gateway_endpoint_id, peer_family, peer_public, peer_endpoint_id,
        is_ok, on_endpoint_eni, on_nat_gateway_eni, has_peer,
        peer_is_endpoint_eni, to_gateway_service, vpc_has_gateway_endpoint,
        routed_to_gateway_endpoint, in_vpc, public_peer, ipv6_peer, route_kind
    ),
    COALESCE(eni_vpc_id, vpc_id) AS vpc_id,
    COALESCE(
        (traffic_class = 'nat_gateway' AND on_nat_gateway_eni AND has_peer AND NOT in_vpc)
            OR (traffic_class = 'interface_endpoint' AND on_endpoint_eni)
            OR (traffic_class = 'intra_vpc' AND (COALESCE(src_own, false) OR peer_eni_id IS NULL))
            OR traffic_class NOT IN ('nat_gateway', 'interface_endpoint', 'intra_vpc'),
        false
    ) AS counted,
    -- direction and endpoint_id are nested CASEs of one branch each, which DataFusion
    -- evaluates in a pass or two over the batch (a CASE of several branches filters the whole
    -- batch once per branch); the endpoint is picked only on the endpoint classes' records.
    CASE WHEN src_own OR dst_own THEN CASE WHEN src_own THEN 'egress' ELSE 'ingress' END
        ELSE flow_direction END AS direction,
    CASE WHEN traffic_class IN ('interface_endpoint', 'gateway_endpoint') THEN
        CASE class_reason
            WHEN 'endpoint-eni' THEN eni_endpoint_id
            WHEN 'peer-is-endpoint-eni' THEN peer_endpoint_id
            WHEN 'route-to-gateway-endpoint' THEN route_target
            WHEN 'vpc-has-gateway-endpoint' THEN gateway_endpoint_id
        END
    END AS endpoint_id,
    CASE WHEN traffic_class = 'nat_gateway' THEN nat_gateway_via END AS nat_gateway_id
FROM classed
