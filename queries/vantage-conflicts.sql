-- vantage-conflicts: where the logged v5 fields disagree with what the inventory says.
--
-- Reads: flows_classified; ip-ranges.json through aws_service.
-- Three checks, on records that log the field: flow_direction against the direction given by
-- the ENI's own addresses; traffic_path (egress records only) against the traffic class (1 for
-- intra-VPC, endpoint, transit and NAT-bound traffic; 2 or 7 for a gateway endpoint; 2 or 8 for
-- an internet gateway and for a NAT gateway's own outside leg; 3 for a VPN; 4 or 5 for
-- peering); pkt_dst_aws_service against the
-- ip-ranges.json service of pkt_dstaddr (or dstaddr). A conflict means a stale inventory or
-- ip-ranges.json, or a record the rules misread: worth a look before trusting cost figures.
-- Columns: check_name, traffic_class, logged, inferred, records, bytes, example_interface_id.
WITH logged AS (
    -- The records that log at least one of the checked fields; the packet's destination only
    -- where pkt_dst_aws_service is logged (only there is its service looked up).
    SELECT
        traffic_class,
        counted,
        bytes,
        interface_id,
        flow_direction,
        direction,
        traffic_path,
        pkt_dst_aws_service,
        CASE WHEN pkt_dst_aws_service IS NOT NULL
            THEN COALESCE(pkt_dstaddr, dstaddr) END AS pkt_destination
    FROM flows_classified
    WHERE COALESCE(log_status, 'OK') = 'OK'
        AND (flow_direction IS NOT NULL OR traffic_path IS NOT NULL
            OR pkt_dst_aws_service IS NOT NULL)
),
checked AS (
    SELECT
        traffic_class,
        bytes,
        interface_id,
        CASE WHEN flow_direction IS NOT NULL AND direction <> flow_direction
            THEN flow_direction END AS logged_direction,
        direction,
        -- One test of agreement rather than a CASE of many branches: a CASE filters the
        -- remaining records once per branch, an OR of comparisons is a pass per term.
        CASE WHEN (
            traffic_path IS NULL OR traffic_class IS NULL OR traffic_class = 'other'
            OR (traffic_class = 'nat_gateway' AND counted AND traffic_path IN (2, 8))
            OR (traffic_class IN ('intra_vpc', 'interface_endpoint', 'nat_gateway', 'transit_gateway')
                AND NOT (traffic_class = 'nat_gateway' AND counted) AND traffic_path = 1)
            OR (traffic_class = 'gateway_endpoint' AND traffic_path IN (2, 7))
            OR (traffic_class = 'internet_gateway' AND traffic_path IN (2, 8))
            OR (traffic_class = 'vpn' AND traffic_path = 3)
            OR (traffic_class = 'peering' AND traffic_path IN (4, 5))
        ) THEN NULL ELSE CAST(traffic_path AS VARCHAR) END AS logged_path,
        CASE
            WHEN pkt_dst_aws_service IS NULL THEN NULL
            WHEN upper(pkt_dst_aws_service) = upper(aws_service(pkt_destination)) THEN NULL
            WHEN upper(pkt_dst_aws_service) = 'AMAZON'
                AND in_aws_service(pkt_destination, 'AMAZON') THEN NULL
            ELSE pkt_dst_aws_service
        END AS logged_service,
        aws_service(pkt_destination) AS inferred_service
    FROM logged
),
grouped AS (
    SELECT
        CASE
            WHEN grouping(logged_direction) = 0 THEN 'flow_direction'
            WHEN grouping(logged_path) = 0 THEN 'traffic_path'
            ELSE 'pkt_dst_aws_service'
        END AS check_name,
        CASE WHEN grouping(logged_path) = 0 THEN traffic_class END AS traffic_class,
        COALESCE(logged_direction, logged_path, logged_service) AS logged,
        CASE
            WHEN grouping(logged_direction) = 0 THEN direction
            WHEN grouping(logged_path) = 0 THEN traffic_class
            ELSE COALESCE(inferred_service, '-')
        END AS inferred,
        count(*) AS records,
        COALESCE(sum(bytes), 0) AS bytes,
        min(interface_id) AS example_interface_id
    FROM checked
    WHERE logged_direction IS NOT NULL OR logged_path IS NOT NULL OR logged_service IS NOT NULL
    GROUP BY GROUPING SETS (
        (logged_direction, direction),
        (logged_path, traffic_class),
        (logged_service, inferred_service)
    )
)
SELECT check_name, traffic_class, logged, inferred, records, bytes, example_interface_id
FROM grouped
WHERE logged IS NOT NULL
ORDER BY check_name, records DESC, logged, inferred
