-- idle-endpoints: interface endpoints that carried nothing in the window, and those that
-- carried so little that their hourly fee buys almost nothing.
--
-- Findings: idle-endpoints, near-idle-endpoints.
-- Reads: report_idle_endpoints, audit_basis; prices through price().
-- An endpoint bills its hourly fee in every AZ it has an ENI in, used or not, so deleting an
-- idle one saves that whole fee. A near-idle one (below the near-idle threshold) is shown with
-- the processing fee it earns against the hourly fee it costs. SKIPDATA on its ENIs means part
-- of the window was not seen, and no record at all may mean no flow log: the evidence says so.
-- Without a window (no record, none given) nothing is called idle.
WITH costed AS (
    SELECT
        i.*,
        COALESCE(i.az_count, 1) * price('interface_endpoint_hour', i.region) * b.month_hours
            AS hourly_fee,
        i.bytes / b.bytes_per_gb * price('interface_endpoint_gb', i.region) * b.scale
            AS processing_fee,
        b.window_hours
    FROM report_idle_endpoints i
    CROSS JOIN audit_basis b
)
SELECT
    CASE status WHEN 'idle' THEN 'idle-endpoints' ELSE 'near-idle-endpoints' END AS finding,
    endpoint_id AS resource,
    vpc_id,
    region,
    CAST(bytes AS BIGINT) AS bytes,
    hourly_fee AS monthly_usd,
    COALESCE(service, 'unknown service') || ' endpoint in '
        || CAST(COALESCE(az_count, 1) AS VARCHAR) || ' AZ(s), ' || COALESCE(state, 'state unknown')
        || CASE status
            WHEN 'idle' THEN ': no traffic on its ENIs in '
                || CAST(round(window_hours, 2) AS VARCHAR) || ' h'
                || CASE WHEN nodata_records = 0
                    THEN ' (not a single record: check that its ENIs are logged)' ELSE '' END
            ELSE ': ' || human_bytes(bytes) || ' in '
                || CAST(round(window_hours, 2) AS VARCHAR) || ' h; it earns '
                || usd(processing_fee) || '/month in processing fees and costs '
                || usd(hourly_fee) || '/month in hourly fees'
        END
        || CASE WHEN skipdata_records > 0
            THEN ' (' || CAST(skipdata_records AS VARCHAR)
                || ' SKIPDATA records: part of the window was not seen)'
            ELSE '' END AS evidence,
    CASE status
        WHEN 'idle' THEN 'Delete the endpoint if nothing depends on it (check who resolves its '
            || 'private DNS name first).'
        ELSE 'Delete it and let this little traffic take another path, or share one endpoint '
            || 'from a hub VPC.'
    END AS action
FROM costed
WHERE window_hours > 0
ORDER BY monthly_usd DESC, resource
