//! What the inventory says a resource is, beyond its own id: the AWS resource an ENI belongs to
//! (an instance, a load balancer, a Lambda function, a NAT gateway, …, read from the ENI's
//! interface type, description and attachment), whether a VPC endpoint's policy lets every
//! principal do everything (AWS's default policy), and which ip-ranges.json service holds an
//! endpoint's service's addresses. Both are total: anything unrecognised is
//! `other`, an unreadable policy is "not known".

use serde_json::Value;

use super::names::text_after;

/// The resource an ENI belongs to: its kind and its name or id.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Resource {
    /// `instance`, `load_balancer`, `nat_gateway`, `vpc_endpoint`, `transit_gateway`, `lambda`,
    /// `rds`, `efs`, `eks`, or the interface type (`other` for a plain interface).
    pub kind: String,
    /// The resource's id or name (`i-…`, `app/web/50dc6c495c0c9188`, `nat-…`, a function's
    /// ENI suffix, …), else the ENI's own id.
    pub id: Option<String>,
}

/// The resource of an ENI. `role` and `role_id` are what the ENI's role gave (the endpoint or
/// NAT gateway listing it, or an instance attachment); the interface type and the description
/// name the rest (`ELB app/<name>/<id>`, `AWS Lambda VPC ENI-<function>…`,
/// `RDSNetworkInterface`, `EFS mount target for fs-… (fsmt-…)`, `aws-k8s-branch-eni`, …).
pub(crate) fn eni_resource(
    eni_id: Option<&str>,
    role: &str,
    role_id: Option<&str>,
    interface_type: Option<&str>,
    description: Option<&str>,
) -> Resource {
    let description = description.unwrap_or_default().trim();
    let own = |kind: &str, id: Option<&str>| Resource {
        kind: kind.to_string(),
        id: id.or(eni_id).map(str::to_string),
    };
    match role {
        "vpc_endpoint" | "nat_gateway" | "transit_gateway" | "instance" => {
            return own(role, role_id);
        }
        _ => {}
    }
    if let Some(rest) = text_after(description, "ELB ") {
        return own("load_balancer", Some(rest));
    }
    if let Some(rest) = text_after(description, "AWS Lambda VPC ENI-") {
        return own("lambda", Some(rest));
    }
    if let Some(rest) = text_after(description, "EFS mount target for ") {
        return own("efs", rest.split_whitespace().next());
    }
    if description.eq_ignore_ascii_case("RDSNetworkInterface") {
        return own("rds", None);
    }
    let lower = description.to_ascii_lowercase();
    if lower.starts_with("aws-k8s-") || lower.starts_with("amazon eks ") {
        return own("eks", None);
    }
    match interface_type {
        Some("load_balancer" | "network_load_balancer" | "gateway_load_balancer") => {
            own("load_balancer", None)
        }
        Some("lambda") => own("lambda", None),
        Some("interface") | None => own("other", None),
        Some(other) => own(other, None),
    }
}

/// The ip-ranges.json service whose ranges hold the public addresses of an endpoint's service
/// (`s3`, `dynamodb`): the one way to tell in flow logs that its clients reach it another way.
/// Other services' addresses are AMAZON there (ip-ranges.json's EC2 and API_GATEWAY ranges are
/// instances' and API Gateway's outbound addresses, not the services' endpoints).
pub(crate) fn ip_ranges_service(service: &str) -> Option<&'static str> {
    match service.to_ascii_lowercase().as_str() {
        "s3" => Some("S3"),
        "dynamodb" => Some("DYNAMODB"),
        _ => None,
    }
}

/// What an endpoint's policy allows.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// No policy given, or one that is not a JSON policy document.
    Unknown,
    /// A statement allows every principal every action on every resource, without a
    /// condition, and none denies: that statement, as compact JSON.
    AllowsAll(String),
    /// No statement does.
    Restricts,
}

/// Whether a policy member (`Principal`, `Action`, `Resource`) is `*`: the string itself, a list
/// holding it, or for a principal `{"AWS": "*"}`. With `service_wide`, `service:*` counts too
/// (an action: through one endpoint it is every action the endpoint can carry).
fn everything(member: Option<&Value>, service_wide: bool) -> bool {
    match member {
        Some(Value::String(s)) => {
            s == "*" || (service_wide && s.ends_with(":*") && s.matches(':').count() == 1)
        }
        Some(Value::Array(items)) => items.iter().any(|v| everything(Some(v), service_wide)),
        Some(Value::Object(map)) => map.get("AWS").is_some_and(|v| everything(Some(v), false)),
        _ => false,
    }
}

/// Reads an endpoint's `PolicyDocument` (a JSON document in a string): open when a statement
/// allows everything and no statement denies anything.
pub(crate) fn endpoint_policy(document: Option<&str>) -> Policy {
    let Some(Ok(Value::Object(policy))) = document.map(serde_json::from_str::<Value>) else {
        return Policy::Unknown;
    };
    let statements = match policy.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Policy::Unknown,
    };
    // A Deny anywhere narrows what an Allow grants: such a policy restricts.
    if statements
        .iter()
        .any(|s| s.get("Effect").and_then(Value::as_str) == Some("Deny"))
    {
        return Policy::Restricts;
    }
    let open = statements.into_iter().find(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && s.get("Condition").is_none()
            && everything(s.get("Principal"), false)
            && everything(s.get("Action"), true)
            && everything(s.get("Resource"), false)
    });
    match open {
        Some(statement) => Policy::AllowsAll(statement.to_string()),
        None => Policy::Restricts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(role: &str, role_id: Option<&str>, kind: Option<&str>, text: &str) -> Resource {
        eni_resource(Some("eni-1"), role, role_id, kind, Some(text))
    }

    #[test]
    fn an_enis_resource_comes_from_its_role_type_and_description() {
        let r = resource(
            "instance",
            Some("i-9"),
            Some("interface"),
            "Primary network interface",
        );
        assert_eq!(
            (r.kind.as_str(), r.id.as_deref()),
            ("instance", Some("i-9"))
        );
        let r = resource(
            "other",
            None,
            Some("interface"),
            "ELB app/web/50dc6c495c0c9188",
        );
        assert_eq!(
            (r.kind.as_str(), r.id.as_deref()),
            ("load_balancer", Some("app/web/50dc6c495c0c9188"))
        );
        let r = resource(
            "other",
            None,
            Some("lambda"),
            "AWS Lambda VPC ENI-resize-1a2b",
        );
        assert_eq!(
            (r.kind.as_str(), r.id.as_deref()),
            ("lambda", Some("resize-1a2b"))
        );
        let r = resource("other", None, Some("interface"), "RDSNetworkInterface");
        assert_eq!((r.kind.as_str(), r.id.as_deref()), ("rds", Some("eni-1")));
        let r = resource("other", None, None, "EFS mount target for fs-12 (fsmt-34)");
        assert_eq!((r.kind.as_str(), r.id.as_deref()), ("efs", Some("fs-12")));
        let r = resource("other", None, Some("network_load_balancer"), "");
        assert_eq!(r.kind, "load_balancer");
        let r = resource("other", None, Some("interface"), "my own");
        assert_eq!((r.kind.as_str(), r.id.as_deref()), ("other", Some("eni-1")));
        let r = resource("other", None, Some("efa"), "");
        assert_eq!(r.kind, "efa");
        // "ELB " alone names nothing.
        assert_eq!(resource("other", None, None, "ELB ").kind, "other");
    }

    #[test]
    fn only_an_unconditional_allow_of_everything_is_open() {
        let default = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
        assert!(
            matches!(endpoint_policy(Some(default)), Policy::AllowsAll(s) if s.contains("\"Action\":\"*\""))
        );
        let aws_star = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:*"],"Resource":["*"]}}"#;
        assert!(matches!(
            endpoint_policy(Some(aws_star)),
            Policy::AllowsAll(_)
        ));
        let bucket = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"]}]}"#;
        assert_eq!(endpoint_policy(Some(bucket)), Policy::Restricts);
        let org = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}"#;
        assert_eq!(endpoint_policy(Some(org)), Policy::Restricts);
        let deny =
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#;
        assert_eq!(endpoint_policy(Some(deny)), Policy::Restricts);
        let one_action = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert_eq!(endpoint_policy(Some(one_action)), Policy::Restricts);
        assert_eq!(endpoint_policy(None), Policy::Unknown);
        assert_eq!(endpoint_policy(Some("not json")), Policy::Unknown);
        assert_eq!(endpoint_policy(Some("[1]")), Policy::Unknown);
    }
}
