-- cross-az: bytes sent between ENIs of one region in different availability zones, each byte
-- once, by the pair of resources.
--
-- Reads: flows_classified, enis, eni_addresses, subnets.
-- The accepted intra_vpc and peering records seen where they were sent (direction egress). The receiver
-- is the ENI of the same VPC holding the peer address (intra_vpc), or the one ENI of the
-- inventory holding it in another VPC of the region (peering; an address two ENIs share is left
-- out, and so is inter-region peering, billed as transfer between regions); a peer
-- that is no ENI of the inventory counts by the subnet of the VPC that holds it. Zones are
-- compared by zone id when both sides have one, else by name. A lower bound: an ENI that does
-- not log is not seen sending. Traffic through an interface endpoint, a NAT gateway or a transit
-- gateway is not here (PrivateLink and Transit Gateway bill no cross-AZ transfer; the NAT case
-- is the nat-cross-az finding). billed is false where AWS does not bill the transfer: an
-- application load balancer on either side (its cross-zone traffic to targets is free).
-- Columns: region, src_vpc_id, src_type, src_resource, src_az, dst_vpc_id, dst_type,
-- dst_resource, dst_az, billed, records, bytes.
WITH sent AS (
    SELECT
        interface_id,
        traffic_class,
        peer,
        peer_eni_id,
        count(*) AS records,
        COALESCE(sum(bytes), 0) AS bytes
    FROM flows_classified
    WHERE traffic_class IN ('intra_vpc', 'peering') AND direction = 'egress'
        AND COALESCE(action, 'ACCEPT') = 'ACCEPT'
    GROUP BY interface_id, traffic_class, peer, peer_eni_id
),
sole_holder AS (
    SELECT address, min(eni_id) AS eni_id
    FROM eni_addresses
    GROUP BY address
    HAVING count(DISTINCT eni_id) = 1
),
receivers AS (
    SELECT
        s.*,
        own.vpc_id AS src_vpc_id,
        own.region,
        own.resource_type AS src_type,
        own.resource_id AS src_resource,
        own.availability_zone AS src_az,
        own.az_id AS src_az_id,
        CASE WHEN s.traffic_class = 'intra_vpc' THEN s.peer_eni_id
            WHEN (held.vpc_id IS DISTINCT FROM own.vpc_id) AND held.region = own.region
                THEN h.eni_id END AS dst_eni_id
    FROM sent s
    JOIN enis own ON own.eni_id = s.interface_id
    LEFT JOIN sole_holder h ON h.address = s.peer
    LEFT JOIN enis held ON held.eni_id = h.eni_id
),
paired AS (
    -- One join for both kinds of receiver (an ENI, else the subnet that holds the address).
    SELECT
        r.*,
        COALESCE(dst.vpc_id, sn.vpc_id) AS dst_vpc_id,
        CASE WHEN dst.eni_id IS NOT NULL THEN dst.resource_type
            WHEN sn.subnet_id IS NOT NULL THEN 'subnet' END AS dst_type,
        COALESCE(dst.resource_id, sn.subnet_id) AS dst_resource,
        COALESCE(dst.availability_zone, sn.availability_zone) AS dst_az,
        COALESCE(dst.az_id, sn.az_id) AS dst_az_id
    FROM receivers r
    LEFT JOIN enis dst ON dst.eni_id = r.dst_eni_id
    LEFT JOIN subnets sn ON sn.vpc_id = r.src_vpc_id AND r.dst_eni_id IS NULL
        AND r.traffic_class = 'intra_vpc' AND ip_in_cidr(r.peer, sn.cidr_block)
)
SELECT
    region,
    src_vpc_id,
    src_type,
    src_resource,
    src_az,
    dst_vpc_id,
    dst_type,
    dst_resource,
    dst_az,
    NOT (COALESCE(src_type = 'load_balancer' AND src_resource LIKE 'app/%', false)
        OR COALESCE(dst_type = 'load_balancer' AND dst_resource LIKE 'app/%', false)) AS billed,
    sum(records) AS records,
    sum(bytes) AS bytes
FROM paired
WHERE CASE WHEN src_az_id IS NOT NULL AND dst_az_id IS NOT NULL THEN src_az_id <> dst_az_id
    ELSE src_az <> dst_az END
GROUP BY region, src_vpc_id, src_type, src_resource, src_az, dst_vpc_id, dst_type, dst_resource,
    dst_az, billed
ORDER BY bytes DESC, src_resource, dst_resource, src_az, dst_az
