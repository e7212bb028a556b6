//! The address functions: `ip_in_cidr`, `is_private_ip`, `is_public_ip` and `ip_family`, over
//! IPv4 and IPv6 text. NULL gives NULL, and so does text that is not an address (or, for the
//! network argument, a CIDR); none of them fails on data.

use arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};

use super::args::{Parsed, booleans, strings_signature, texts};
use crate::net::{is_public, parse_cidr, parse_ip};

/// Which address function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    InCidr,
    IsPrivate,
    IsPublic,
    Family,
}

/// One address function as a DataFusion scalar function.
#[derive(Debug, PartialEq, Eq, Hash)]
struct IpFunction {
    kind: Kind,
    signature: Signature,
}

/// The address functions, ready to register.
pub(super) fn functions() -> Vec<ScalarUDF> {
    [
        (Kind::InCidr, 2),
        (Kind::IsPrivate, 1),
        (Kind::IsPublic, 1),
        (Kind::Family, 1),
    ]
    .into_iter()
    .map(|(kind, args)| {
        ScalarUDF::new_from_impl(IpFunction {
            kind,
            signature: strings_signature(args),
        })
    })
    .collect()
}

impl ScalarUDFImpl for IpFunction {
    fn name(&self) -> &str {
        match self.kind {
            Kind::InCidr => "ip_in_cidr",
            Kind::IsPrivate => "is_private_ip",
            Kind::IsPublic => "is_public_ip",
            Kind::Family => "ip_family",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Family => DataType::Utf8,
            _ => DataType::Boolean,
        })
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, call: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let rows = call.number_rows;
        let ip = Parsed::arg(name, &call.args, 0, parse_ip)?;
        Ok(match self.kind {
            Kind::InCidr => {
                let net = Parsed::arg(name, &call.args, 1, parse_cidr)?;
                if let Parsed::Const(None) = net {
                    // A NULL or unparseable constant network: NULL whatever the address.
                    booleans(true, rows, |_| None)
                } else {
                    booleans(ip.is_const() && net.is_const(), rows, |row| {
                        Some(net.get(row)?.contains(&ip.get(row)?))
                    })
                }
            }
            Kind::IsPrivate => booleans(ip.is_const(), rows, |row| {
                ip.get(row).map(|a| !is_public(a))
            }),
            Kind::IsPublic => booleans(ip.is_const(), rows, |row| ip.get(row).map(is_public)),
            Kind::Family => texts(ip.is_const(), rows, |row| {
                ip.get(row)
                    .map(|a| if a.is_ipv4() { "ipv4" } else { "ipv6" })
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, LargeStringArray, RecordBatch, StringViewArray};
    use arrow::datatypes::{Field, Schema};
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn context() -> SessionContext {
        let ctx = SessionContext::new();
        crate::sql::udf::register_all(&ctx, None, None);
        ctx
    }

    use crate::sql::udf::test_sql::{collect, run};

    /// The single column of a query's result, NULL as "NULL".
    async fn column(ctx: &SessionContext, sql: &str) -> Vec<String> {
        let batches = collect(ctx, sql).await;
        let mut out = Vec::new();
        for b in &batches {
            let col = b.column(0);
            for row in 0..b.num_rows() {
                if col.is_null(row) {
                    out.push("NULL".to_string());
                } else {
                    out.push(
                        arrow::util::display::array_value_to_string(col, row).expect("displays"),
                    );
                }
            }
        }
        out
    }

    #[tokio::test]
    async fn ip_in_cidr_with_a_constant_network() {
        let ctx = context().await;
        let got = column(
            &ctx,
            "SELECT ip_in_cidr(a, '10.0.0.0/8') FROM (VALUES ('10.1.2.3'), (NULL), ('nope'), \
             ('2001:db8::1'), ('11.0.0.1'), ('10.255.255.255')) t(a)",
        )
        .await;
        assert_eq!(got, ["true", "NULL", "NULL", "false", "false", "true"]);
        let got = column(
            &ctx,
            "SELECT ip_in_cidr(a, '2001:db8::/32') FROM (VALUES ('2001:db8:ffff::1'), \
             ('2001:db9::1'), ('10.0.0.1')) t(a)",
        )
        .await;
        assert_eq!(got, ["true", "false", "false"]);
        // A network that is not a CIDR, or NULL: NULL for every row.
        let got = column(
            &ctx,
            "SELECT ip_in_cidr(a, 'garbage') FROM (VALUES ('10.1.2.3'), (NULL)) t(a)",
        )
        .await;
        assert_eq!(got, ["NULL", "NULL"]);
        let got = column(
            &ctx,
            "SELECT ip_in_cidr(a, NULL) FROM (VALUES ('10.1.2.3')) t(a)",
        )
        .await;
        assert_eq!(got, ["NULL"]);
    }

    #[tokio::test]
    async fn ip_in_cidr_with_a_network_per_row() {
        let ctx = context().await;
        let got = column(
            &ctx,
            "SELECT ip_in_cidr(a, n) FROM (VALUES \
               ('10.1.2.3', '10.1.0.0/16'), \
               ('10.2.2.3', '10.1.0.0/16'), \
               ('192.168.1.9', '192.168.1.9'), \
               ('192.168.1.9', '192.168.1.0/31'), \
               ('2001:db8::1', '2001:db8::/64'), \
               ('2001:db8::1', '10.0.0.0/8'), \
               ('10.0.0.1', '0.0.0.0/0'), \
               ('10.0.0.1', '10.0.0.0/40'), \
               ('10.0.0.1', NULL), \
               (NULL, '10.0.0.0/8'), \
               ('10.0.0.1', '10.9.9.9/8')) t(a, n)",
        )
        .await;
        assert_eq!(
            got,
            [
                "true", "false", "true", "false", "true", "false", "true", "NULL", "NULL", "NULL",
                "true"
            ]
        );
        // A constant address against a column of networks.
        let got = column(
            &ctx,
            "SELECT ip_in_cidr('172.31.0.5', n) FROM (VALUES ('172.16.0.0/12'), ('10.0.0.0/8'), \
             ('x')) t(n)",
        )
        .await;
        assert_eq!(got, ["true", "false", "NULL"]);
        // Both constant.
        assert_eq!(
            column(&ctx, "SELECT ip_in_cidr('10.0.0.1', '10.0.0.0/24')").await,
            ["true"]
        );
    }

    #[tokio::test]
    async fn private_public_and_family() {
        let ctx = context().await;
        let got = run(
            &ctx,
            "SELECT a, is_private_ip(a) AS private, is_public_ip(a) AS public, ip_family(a) AS family \
             FROM (VALUES ('10.0.0.1'), ('8.8.8.8'), ('100.64.1.1'), ('2600:1f18::1'), \
             ('fd00::1'), (NULL), ('nope'), ('')) t(a)",
        )
        .await;
        assert_eq!(
            got,
            [
                "+--------------+---------+--------+--------+",
                "| a            | private | public | family |",
                "+--------------+---------+--------+--------+",
                "| 10.0.0.1     | true    | false  | ipv4   |",
                "| 8.8.8.8      | false   | true   | ipv4   |",
                "| 100.64.1.1   | true    | false  | ipv4   |",
                "| 2600:1f18::1 | false   | true   | ipv6   |",
                "| fd00::1      | true    | false  | ipv6   |",
                "|              |         |        |        |",
                "| nope         |         |        |        |",
                "|              |         |        |        |",
                "+--------------+---------+--------+--------+",
            ]
        );
        assert_eq!(column(&ctx, "SELECT ip_family('::1')").await, ["ipv6"]);
        assert_eq!(column(&ctx, "SELECT is_private_ip(NULL)").await, ["NULL"]);
    }

    #[tokio::test]
    async fn other_string_types() {
        let ctx = context().await;
        let schema = Arc::new(Schema::new(vec![
            Field::new("v", DataType::Utf8View, true),
            Field::new("l", DataType::LargeUtf8, true),
        ]));
        let v: ArrayRef = Arc::new(StringViewArray::from(vec![Some("10.0.0.1"), None]));
        let l: ArrayRef = Arc::new(LargeStringArray::from(vec![
            Some("8.8.8.8"),
            Some("192.168.0.1"),
        ]));
        let batch = RecordBatch::try_new(schema, vec![v, l]).expect("batch");
        ctx.register_batch("t", batch).expect("registers");
        let got = run(
            &ctx,
            "SELECT ip_in_cidr(v, '10.0.0.0/8') AS a, is_public_ip(l) AS b, \
             ip_in_cidr(l, arrow_cast('8.8.0.0/16', 'LargeUtf8')) AS c, ip_family(v) AS d, \
             ip_in_cidr(arrow_cast(v, 'Dictionary(Int32, Utf8)'), '10.0.0.1') AS e FROM t",
        )
        .await;
        assert_eq!(
            got,
            [
                "+------+-------+-------+------+------+",
                "| a    | b     | c     | d    | e    |",
                "+------+-------+-------+------+------+",
                "| true | true  | true  | ipv4 | true |",
                "|      | false | false |      |      |",
                "+------+-------+-------+------+------+",
            ]
        );
    }

    #[tokio::test]
    async fn wrong_argument_types_are_plan_errors() {
        let ctx = context().await;
        assert!(ctx.sql("SELECT ip_in_cidr(1, '10.0.0.0/8')").await.is_err());
        assert!(
            ctx.sql("SELECT is_private_ip('10.0.0.1', 'x')")
                .await
                .is_err()
        );
    }
}
