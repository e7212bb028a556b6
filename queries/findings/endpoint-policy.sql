-- endpoint-policy: VPC endpoints whose policy lets every principal do every action on every
-- resource (the policy AWS attaches when none is given).
--
-- Findings: endpoint-policy.
-- Reads: vpc_endpoints.
-- A security finding without a dollar figure: such an endpoint carries requests to any
-- account's resources, including a copy of your data to someone else's bucket. Endpoints whose
-- policy restricts principals, actions or resources, or has a condition, are not listed;
-- neither are endpoints without a policy document (types and services that take none).
SELECT
    'endpoint-policy' AS finding,
    endpoint_id AS resource,
    vpc_id,
    region,
    CAST(NULL AS BIGINT) AS bytes,
    CAST(NULL AS DOUBLE) AS monthly_usd,
    COALESCE(endpoint_type, 'VPC') || ' endpoint for ' || COALESCE(service, service_name, 'its service')
        || ' allows everything: ' || policy_open_statement AS evidence,
    CASE lower(service)
        WHEN 's3' THEN 'Restrict the policy to your buckets, e.g. {"Effect": "Allow", '
            || '"Principal": "*", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], '
            || '"Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"]}, or to your '
            || 'accounts with a condition on aws:ResourceAccount.'
        WHEN 'dynamodb' THEN 'Restrict the policy to your tables, e.g. {"Effect": "Allow", '
            || '"Principal": "*", "Action": "dynamodb:*", "Resource": '
            || '"arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE"}, or to your accounts with a '
            || 'condition on aws:ResourceAccount.'
        ELSE 'Restrict the policy to your organisation or accounts, e.g. {"Effect": "Allow", '
            || '"Principal": "*", "Action": "*", "Resource": "*", "Condition": '
            || '{"StringEquals": {"aws:PrincipalOrgID": "o-EXAMPLE"}}}, and to the actions '
            || 'your clients use.'
    END AS action
FROM vpc_endpoints
WHERE COALESCE(policy_allows_all, false)
    AND COALESCE(state, 'available') NOT IN ('deleted', 'deleting', 'rejected', 'failed')
ORDER BY resource
