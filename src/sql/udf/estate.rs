//! The inventory functions: `eni_has_ip`, `vpc_contains`, `vpc_eni`, `vpc_endpoint_at` and
//! `route_target`, answered
//! from the [`Lookup`] of the loaded inventory. They are what the classification needs beyond
//! equi-joins: address sets, CIDR containment scoped to one VPC, and longest-prefix routing.
//! Without an inventory they still exist and return NULL; NULL in gives NULL out, and so does
//! text that is not an address.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};

use super::args::{Loaded, Parsed, Strings, booleans, strings_signature, texts};
use crate::inventory::lookup::Lookup;
use crate::net::parse_ip;

/// Which inventory function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    EniHasIp,
    VpcContains,
    VpcEni,
    VpcEndpointAt,
    RouteTarget,
}

/// One inventory function with the lookups it answers from.
#[derive(Debug, PartialEq, Eq, Hash)]
struct EstateFunction {
    kind: Kind,
    /// `None` when no inventory was loaded.
    lookup: Loaded<Lookup>,
    signature: Signature,
}

/// The inventory functions over `lookup` (`None`: no inventory), ready to register.
pub(super) fn functions(lookup: Option<Arc<Lookup>>) -> Vec<ScalarUDF> {
    [
        Kind::EniHasIp,
        Kind::VpcContains,
        Kind::VpcEni,
        Kind::VpcEndpointAt,
        Kind::RouteTarget,
    ]
    .into_iter()
    .map(|kind| {
        ScalarUDF::new_from_impl(EstateFunction {
            kind,
            lookup: Loaded(lookup.clone()),
            signature: strings_signature(2),
        })
    })
    .collect()
}

impl ScalarUDFImpl for EstateFunction {
    fn name(&self) -> &str {
        match self.kind {
            Kind::EniHasIp => "eni_has_ip",
            Kind::VpcContains => "vpc_contains",
            Kind::VpcEni => "vpc_eni",
            Kind::VpcEndpointAt => "vpc_endpoint_at",
            Kind::RouteTarget => "route_target",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::EniHasIp | Kind::VpcContains => DataType::Boolean,
            Kind::VpcEni | Kind::VpcEndpointAt | Kind::RouteTarget => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, call: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let rows = call.number_rows;
        let key = Strings::arg(name, &call.args, 0)?;
        let ip = Parsed::arg(name, &call.args, 1, parse_ip)?;
        let constant = key.is_const() && ip.is_const();
        let Some(lookup) = self.lookup.get() else {
            return Ok(match self.kind {
                Kind::EniHasIp | Kind::VpcContains => booleans(true, rows, |_| None),
                Kind::VpcEni | Kind::VpcEndpointAt | Kind::RouteTarget => {
                    texts(true, rows, |_| None)
                }
            });
        };
        Ok(match self.kind {
            Kind::EniHasIp => booleans(constant, rows, |row| {
                Some(lookup.eni_has_address(key.get(row)?, ip.get(row)?))
            }),
            Kind::VpcContains => booleans(constant, rows, |row| {
                Some(lookup.vpc_contains(key.get(row)?, ip.get(row)?))
            }),
            Kind::VpcEni => texts(constant, rows, |row| {
                lookup.vpc_eni(key.get(row)?, ip.get(row)?)
            }),
            Kind::VpcEndpointAt => texts(constant, rows, |row| {
                lookup.vpc_endpoint_at(key.get(row)?, ip.get(row)?)
            }),
            Kind::RouteTarget => texts(constant, rows, |row| {
                lookup.route_target(key.get(row)?, ip.get(row)?)
            }),
        })
    }
}
