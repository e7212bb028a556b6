-- idle-endpoints: interface endpoints that carried nothing in the window, and those that
-- carried so little that their hourly fee buys almost nothing.
--
-- Findings: idle-endpoints, near-idle-endpoints, unobserved-endpoints.
-- Reads: report_idle_endpoints, audit_basis; prices through price().
-- An endpoint bills its hourly fee in every AZ it has an ENI in, used or not, so deleting an
-- idle one saves that whole fee. A near-idle one (below the near-idle threshold) is shown with
-- the processing fee it earns against the hourly fee it costs. Silence is evidence only where
-- the logs were listening: an endpoint is called idle or near-idle only when every one of its
-- ENIs logged a record (NODATA counts) within audit_basis.edge_seconds of both ends of the
-- window. Otherwise it is unobserved-endpoints, with no dollar figure and no advice to delete.
-- SKIPDATA on its ENIs means part of the window was not seen: the evidence says so.
-- Without a window (no record, none given) nothing is called idle.
WITH costed AS (
    SELECT
        i.*,
        COALESCE(i.az_count, 1) * price('interface_endpoint_hour', i.region) * b.month_hours
            AS hourly_fee,
        i.bytes / b.bytes_per_gb * price('interface_endpoint_gb', i.region) * b.scale
            AS processing_fee,
        b.window_hours,
        COALESCE(
            i.enis > 0 AND i.enis_logged = i.enis
                AND to_unixtime(i.logged_from) <= to_unixtime(b.since) + b.edge_seconds
                AND to_unixtime(i.logged_until) >= to_unixtime(b.until) - b.edge_seconds,
            false
        ) AS observed
    FROM report_idle_endpoints i
    CROSS JOIN audit_basis b
)
SELECT
    CASE
        WHEN NOT observed THEN 'unobserved-endpoints'
        WHEN status = 'idle' THEN 'idle-endpoints'
        ELSE 'near-idle-endpoints'
    END AS finding,
    endpoint_id AS resource,
    vpc_id,
    region,
    CAST(bytes AS BIGINT) AS bytes,
    CASE WHEN observed THEN hourly_fee END AS monthly_usd,
    COALESCE(service, 'unknown service') || ' endpoint in '
        || CAST(COALESCE(az_count, 1) AS VARCHAR) || ' AZ(s), ' || COALESCE(state, 'state unknown')
        || CASE
            WHEN NOT observed THEN ': ' || format_bytes(bytes) || ' seen in '
                || CAST(round(window_hours, 2) AS VARCHAR) || ' h, but '
                || CASE
                    WHEN enis_logged < enis THEN CAST(enis - enis_logged AS VARCHAR)
                        || ' of its ' || CAST(enis AS VARCHAR)
                        || ' ENI(s) have no record in the window'
                    ELSE 'its ENIs were seen logging only from '
                        || CAST(logged_from AS VARCHAR) || ' to ' || CAST(logged_until AS VARCHAR)
                END
                || ': not enough seen to call it idle'
            WHEN status = 'idle' THEN ': no traffic on its ENIs in '
                || CAST(round(window_hours, 2) AS VARCHAR) || ' h, with each of its ENIs logged throughout'
            ELSE ': ' || format_bytes(bytes) || ' in '
                || CAST(round(window_hours, 2) AS VARCHAR) || ' h; it earns '
                || usd(processing_fee) || '/month in processing fees and costs '
                || usd(hourly_fee) || '/month in hourly fees'
        END
        || CASE WHEN skipdata_records > 0
            THEN ' (' || CAST(skipdata_records AS VARCHAR)
                || ' SKIPDATA records: part of the window was not seen)'
            ELSE '' END AS evidence,
    CASE
        WHEN NOT observed THEN 'Make sure flow logs cover every ENI of the endpoint for the '
            || 'whole window, then audit again before deciding anything.'
        WHEN status = 'idle' THEN 'Delete the endpoint if nothing depends on it (check who '
            || 'resolves its private DNS name first).'
        ELSE 'Delete it and let this little traffic take another path, or share one endpoint '
            || 'from a hub VPC.'
    END AS action
FROM costed
WHERE window_hours > 0
ORDER BY monthly_usd DESC, resource
