//! The AWS range functions: `aws_service`, `aws_region` and `in_aws_service`, answered from the
//! [`ServiceIndex`] of the loaded ip-ranges.json that each function holds. Without loaded ranges
//! the functions still exist and return NULL. NULL in gives NULL out, and so does text that is
//! not an address; `in_aws_service`'s region may be NULL, meaning any region.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};

use super::args::{
    Loaded, Parsed, Strings, booleans, strings_signature, strings_signature_of, texts,
};
use crate::inventory::ip_ranges::ServiceIndex;
use crate::net::parse_ip;

/// Which AWS range function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Service,
    Region,
    InService,
}

/// One AWS range function with the index it answers from.
#[derive(Debug, PartialEq, Eq, Hash)]
struct AwsFunction {
    kind: Kind,
    /// `None` when no ranges were loaded.
    index: Loaded<ServiceIndex>,
    signature: Signature,
}

/// The AWS range functions over `index` (`None`: no ranges loaded), ready to register.
pub(super) fn functions(index: Option<Arc<ServiceIndex>>) -> Vec<ScalarUDF> {
    [
        (Kind::Service, strings_signature(1)),
        (Kind::Region, strings_signature(1)),
        (Kind::InService, strings_signature_of(&[2, 3])),
    ]
    .into_iter()
    .map(|(kind, signature)| {
        ScalarUDF::new_from_impl(AwsFunction {
            kind,
            index: Loaded(index.clone()),
            signature,
        })
    })
    .collect()
}

impl ScalarUDFImpl for AwsFunction {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Service => "aws_service",
            Kind::Region => "aws_region",
            Kind::InService => "in_aws_service",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Service | Kind::Region => DataType::Utf8,
            Kind::InService => DataType::Boolean,
        })
    }

    fn is_strict(&self) -> bool {
        // A NULL region means "any region", so `in_aws_service` is not NULL-propagating.
        self.kind != Kind::InService
    }

    fn invoke_with_args(&self, call: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let rows = call.number_rows;
        let ip = Parsed::arg(name, &call.args, 0, parse_ip)?;
        let Some(index) = self.index.get() else {
            return Ok(match self.kind {
                Kind::InService => booleans(true, rows, |_| None),
                _ => texts(true, rows, |_| None),
            });
        };
        Ok(match self.kind {
            Kind::Service => texts(ip.is_const(), rows, |row| {
                index.lookup(ip.get(row)?).map(|(service, _)| service)
            }),
            Kind::Region => texts(ip.is_const(), rows, |row| {
                index.lookup(ip.get(row)?).map(|(_, region)| region)
            }),
            Kind::InService => {
                let service = Strings::arg(name, &call.args, 1)?;
                let region = if call.args.len() > 2 {
                    Strings::arg(name, &call.args, 2)?
                } else {
                    Strings::Const(None)
                };
                let constant = ip.is_const() && service.is_const() && region.is_const();
                booleans(constant, rows, |row| {
                    let address = ip.get(row)?;
                    let service = service.get(row)?;
                    Some(index.in_service(address, service.trim(), region.get(row).map(str::trim)))
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use datafusion::prelude::SessionContext;

    use crate::inventory::ip_ranges::IpRanges;

    /// An S3 /16 inside an AMAZON /11, a DYNAMODB /24 with its AMAZON twin, an IPv6 EC2 range.
    const RANGES: &str = r#"{
      "syncToken": "1700000000",
      "createDate": "2023-11-14-22-13-20",
      "prefixes": [
        {"ip_prefix": "52.192.0.0/11", "region": "us-east-1", "network_border_group": "us-east-1", "service": "AMAZON"},
        {"ip_prefix": "52.216.0.0/16", "region": "us-east-1", "network_border_group": "us-east-1", "service": "S3"},
        {"ip_prefix": "3.218.182.0/24", "region": "us-east-1", "network_border_group": "us-east-1", "service": "DYNAMODB"},
        {"ip_prefix": "3.218.182.0/24", "region": "us-east-1", "network_border_group": "us-east-1", "service": "AMAZON"}
      ],
      "ipv6_prefixes": [
        {"ipv6_prefix": "2a05:d018::/36", "region": "eu-west-1", "network_border_group": "eu-west-1", "service": "EC2"}
      ]
    }"#;

    fn context(with_ranges: bool) -> SessionContext {
        let ctx = SessionContext::new();
        let index = with_ranges.then(|| {
            IpRanges::parse(Path::new("ip-ranges.json"), RANGES.as_bytes())
                .expect("ranges parse")
                .index()
        });
        crate::sql::udf::register_all(&ctx, index.as_ref(), None);
        ctx
    }

    use crate::sql::udf::test_sql::run;

    const ADDRESSES: &str = "(VALUES (1, '52.216.10.20'), (2, '52.200.1.1'), (3, '3.218.182.9'), \
        (4, '2a05:d018:0fff::1'), (5, '8.8.8.8'), (6, NULL), (7, 'not an ip'), (8, '52.224.0.0')) t(n, a)";

    #[tokio::test]
    async fn service_and_region_of_addresses() {
        let ctx = context(true);
        let got = run(
            &ctx,
            &format!(
                "SELECT n, aws_service(a) AS service, aws_region(a) AS region FROM {ADDRESSES} ORDER BY n"
            ),
        )
        .await;
        assert_eq!(
            got,
            [
                "+---+----------+-----------+",
                "| n | service  | region    |",
                "+---+----------+-----------+",
                "| 1 | S3       | us-east-1 |",
                "| 2 | AMAZON   | us-east-1 |",
                "| 3 | DYNAMODB | us-east-1 |",
                "| 4 | EC2      | eu-west-1 |",
                "| 5 |          |           |",
                "| 6 |          |           |",
                "| 7 |          |           |",
                "| 8 |          |           |",
                "+---+----------+-----------+",
            ]
        );
        assert_eq!(
            run(&ctx, "SELECT aws_service('52.216.0.1') AS s").await[3],
            "| S3 |"
        );
    }

    #[tokio::test]
    async fn in_aws_service_with_and_without_region() {
        let ctx = context(true);
        let got = run(
            &ctx,
            &format!(
                "SELECT n, in_aws_service(a, 'S3', NULL) AS s3, \
                 in_aws_service(a, 'AMAZON', 'us-east-1') AS amazon_use1, \
                 in_aws_service(a, 'ec2', 'eu-west-1') AS ec2_euw1, \
                 in_aws_service(a, 'S3', 'eu-west-1') AS s3_euw1, \
                 in_aws_service(a, 'DYNAMODB') AS ddb \
                 FROM {ADDRESSES} ORDER BY n"
            ),
        )
        .await;
        assert_eq!(
            got,
            [
                "+---+-------+-------------+----------+---------+-------+",
                "| n | s3    | amazon_use1 | ec2_euw1 | s3_euw1 | ddb   |",
                "+---+-------+-------------+----------+---------+-------+",
                "| 1 | true  | true        | false    | false   | false |",
                "| 2 | false | true        | false    | false   | false |",
                "| 3 | false | true        | false    | false   | true  |",
                "| 4 | false | false       | true     | false   | false |",
                "| 5 | false | false       | false    | false   | false |",
                "| 6 |       |             |          |         |       |",
                "| 7 |       |             |          |         |       |",
                "| 8 | false | false       | false    | false   | false |",
                "+---+-------+-------------+----------+---------+-------+",
            ]
        );
        // Service and region per row; a NULL service gives NULL.
        let got = run(
            &ctx,
            "SELECT in_aws_service(a, s, r) AS x FROM (VALUES \
               ('52.216.1.1', 'S3', 'us-east-1'), ('52.216.1.1', 'EC2', NULL), \
               ('52.216.1.1', NULL, NULL), ('52.216.1.1', 'S3', 'us-west-2')) t(a, s, r)",
        )
        .await;
        assert_eq!(
            got,
            [
                "+-------+",
                "| x     |",
                "+-------+",
                "| true  |",
                "| false |",
                "|       |",
                "| false |",
                "+-------+",
            ]
        );
    }

    #[tokio::test]
    async fn without_ranges_the_functions_return_null() {
        let ctx = context(false);
        let got = run(
            &ctx,
            "SELECT aws_service(a) AS s, aws_region(a) AS r, in_aws_service(a, 'S3', NULL) AS i \
             FROM (VALUES ('52.216.10.20'), ('8.8.8.8')) t(a)",
        )
        .await;
        assert_eq!(
            got,
            [
                "+---+---+---+",
                "| s | r | i |",
                "+---+---+---+",
                "|   |   |   |",
                "|   |   |   |",
                "+---+---+---+",
            ]
        );
    }
}
