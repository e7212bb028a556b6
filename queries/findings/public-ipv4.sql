-- public-ipv4: public IPv4 addresses that cost their hourly fee without carrying internet
-- traffic: elastic IPs associated with nothing, and public addresses of ENIs that exchanged no
-- byte with the internet in the window.
--
-- Findings: public-ipv4.
-- Reads: report_public_ipv4, audit_basis; prices through price().
-- AWS bills every public IPv4 address by the hour, in use or not (public_ipv4_hour, $0.005 at
-- list prices since February 2024). An unassociated elastic IP is wasted whatever the logs
-- say. An associated address is called unused only where its ENI was seen logging through the
-- window (a record, NODATA included, within audit_basis.edge_seconds of both ends) with no
-- internet byte; an ENI that did not log is not advised on.
WITH judged AS (
    SELECT
        p.*,
        b.month_hours,
        b.window_hours,
        COALESCE(
            p.records > 0
                AND to_unixtime(p.first_start) <= to_unixtime(b.since) + b.edge_seconds
                AND to_unixtime(p.last_end) >= to_unixtime(b.until) - b.edge_seconds,
            false
        ) AS observed
    FROM report_public_ipv4 p
    CROSS JOIN audit_basis b
)
SELECT
    'public-ipv4' AS finding,
    public_ip AS resource,
    vpc_id,
    region,
    CAST(0 AS BIGINT) AS bytes,
    price('public_ipv4_hour', region) * month_hours AS monthly_usd,
    CASE WHEN NOT associated
        THEN 'Elastic IP ' || public_ip || COALESCE(' (' || allocation_id || ')', '')
            || ' is associated with nothing and costs '
            || usd(price('public_ipv4_hour', region), 3) || ' an hour'
        ELSE CASE WHEN elastic THEN 'Elastic IP ' ELSE 'Public address ' END || public_ip
            || ' of ' || COALESCE(eni_type || ' ' || eni_resource, eni_id) || ' (' || eni_id || ')'
            || ' carried no internet traffic in '
            || CAST(round(window_hours, 2) AS VARCHAR) || ' h while its ENI logged '
            || CAST(records AS VARCHAR) || ' records; it costs '
            || usd(price('public_ipv4_hour', region), 3) || ' an hour'
    END AS evidence,
    CASE
        WHEN NOT associated THEN 'Release it (aws ec2 release-address --allocation-id '
            || COALESCE(allocation_id, public_ip) || ') unless something must keep this address.'
        WHEN eni_type = 'nat_gateway' THEN 'The NAT gateway ' || eni_resource || ' sent nothing to '
            || 'the internet: remove it if nothing needs it (its hourly fee goes too), or drop '
            || 'its secondary addresses.'
        WHEN elastic THEN 'Disassociate and release the elastic IP if nothing reaches this '
            || 'resource from the internet.'
        ELSE 'Turn off public IPv4 auto-assignment for its subnet or launch template (or '
            || 'remove the address) if nothing reaches this resource from the internet; '
            || 'outbound traffic can use a NAT gateway or IPv6.'
    END AS action
FROM judged
WHERE NOT associated OR (observed AND internet_bytes = 0)
ORDER BY monthly_usd DESC, resource
