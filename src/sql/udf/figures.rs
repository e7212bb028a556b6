//! The figure functions: `price(item, region)`, answered from the [`PriceList`] a session is
//! given (the audit's prices; without one it returns NULL), `usd(amount)`, which writes an
//! amount as `$1,234.56`, and `format_bytes(n)` (also named `human_bytes`), which writes a byte
//! count as `1.50 GiB`. [`format_usd`] and [`human_bytes`] are the same writing for the audit's
//! pages; the byte count's is the text tables' too (`crate::report::human_bytes`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::args::{Loaded, Strings, strings_signature};
pub use crate::report::human_bytes;

/// The name of the price function, which a session with a [`PriceList`] replaces.
pub(super) const PRICE: &str = "price";

/// Prices in USD of billed items, by region.
pub trait PriceList: std::fmt::Debug + Send + Sync {
    /// The price of `item` in `region` (the list's default where the region has none);
    /// `None` for an item the list does not know.
    fn price(&self, item: &str, region: Option<&str>) -> Option<f64>;
}

/// `price(item, region)` over the prices it answers from.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Price {
    /// `None` when the session was given no prices.
    prices: Loaded<dyn PriceList>,
    signature: Signature,
}

/// The name of the function that writes a byte count.
pub(super) const FORMAT_BYTES: &str = "format_bytes";

/// The other name of [`FORMAT_BYTES`], which queries written before it may use.
pub(super) const HUMAN_BYTES: &str = "human_bytes";

/// Which function of a number that writes text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Writing {
    Usd,
    Bytes,
}

/// `usd(amount)` or `format_bytes(n)`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Written {
    kind: Writing,
    signature: Signature,
    /// Other names of the function.
    aliases: Vec<String>,
}

/// The price function over `prices` (`None`: no prices, it returns NULL), ready to register.
pub(super) fn price(prices: Option<Arc<dyn PriceList>>) -> ScalarUDF {
    ScalarUDF::new_from_impl(Price {
        prices: Loaded(prices),
        signature: strings_signature(2),
    })
}

/// The figure functions, `price` over `prices`, ready to register.
pub(super) fn functions(prices: Option<Arc<dyn PriceList>>) -> Vec<ScalarUDF> {
    let written = [Writing::Usd, Writing::Bytes].map(|kind| {
        ScalarUDF::new_from_impl(Written {
            kind,
            signature: Signature::exact(vec![DataType::Float64], Volatility::Immutable),
            aliases: match kind {
                Writing::Usd => Vec::new(),
                Writing::Bytes => vec![HUMAN_BYTES.to_string()],
            },
        })
    });
    std::iter::once(price(prices)).chain(written).collect()
}

impl ScalarUDFImpl for Price {
    fn name(&self) -> &str {
        PRICE
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, call: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let items = Strings::arg(PRICE, &call.args, 0)?;
        let regions = Strings::arg(PRICE, &call.args, 1)?;
        let constant = items.is_const() && regions.is_const();
        let rows = if constant { 1 } else { call.number_rows };
        let mut out = Vec::with_capacity(rows);
        for row in 0..rows {
            let (Some(prices), Some(item)) = (self.prices.get(), items.get(row)) else {
                out.push(None);
                continue;
            };
            let value = prices.price(item, regions.get(row)).ok_or_else(|| {
                DataFusionError::Execution(format!("price: no price item named {item:?}"))
            })?;
            out.push(Some(value));
        }
        result(Arc::new(Float64Array::from(out)), constant)
    }
}

impl ScalarUDFImpl for Written {
    fn name(&self) -> &str {
        match self.kind {
            Writing::Usd => "usd",
            Writing::Bytes => FORMAT_BYTES,
        }
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, call: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let constant = call
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&call.args)?;
        let numbers = arrays
            .first()
            .and_then(|a| a.as_any().downcast_ref::<Float64Array>())
            .ok_or_else(|| DataFusionError::Execution(format!("{name}: expects a number")))?;
        let write: fn(f64) -> String = match self.kind {
            Writing::Usd => format_usd,
            Writing::Bytes => |n: f64| human_bytes(n.round() as i64),
        };
        let out: StringArray = numbers.iter().map(|n| n.map(write)).collect();
        result(Arc::new(out), constant)
    }
}

/// A constant for constant arguments, else the array.
fn result(array: ArrayRef, constant: bool) -> Result<ColumnarValue> {
    if constant {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// `$1,234.56`; negative amounts as `-$12.00`.
pub fn format_usd(amount: f64) -> String {
    let cents = (amount.abs() * 100.0).round() as u64;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}${grouped}.{:02}", cents % 100)
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::sql::udf::test_sql::run;

    #[test]
    fn amounts_are_written_in_dollars_and_cents() {
        assert_eq!(format_usd(0.0), "$0.00");
        assert_eq!(format_usd(21.9), "$21.90");
        assert_eq!(format_usd(1234567.891), "$1,234,567.89");
        assert_eq!(format_usd(-12.0), "-$12.00");
        assert_eq!(format_usd(-0.001), "$0.00");
    }

    /// Two items, one of which costs more in one region.
    #[derive(Debug)]
    struct Two;

    impl PriceList for Two {
        fn price(&self, item: &str, region: Option<&str>) -> Option<f64> {
            match (item, region) {
                ("gb", Some("ap-southeast-1")) => Some(0.059),
                ("gb", _) => Some(0.045),
                ("hour", _) => Some(0.01),
                _ => None,
            }
        }
    }

    fn context(prices: Option<Arc<dyn PriceList>>) -> SessionContext {
        let ctx = SessionContext::new();
        for f in functions(prices) {
            ctx.register_udf(f);
        }
        ctx
    }

    #[tokio::test]
    async fn prices_come_from_the_list_and_figures_are_written() {
        let ctx = context(Some(Arc::new(Two)));
        let got = run(
            &ctx,
            "SELECT n, price(item, region) AS p, usd(v) AS u, format_bytes(v) AS h FROM (VALUES \
             (1, 'gb', 'ap-southeast-1', 1536.4), (2, 'gb', NULL, -12.0), (3, 'hour', 'x', NULL), \
             (4, NULL, 'x', 1234567.891)) t(n, item, region, v) ORDER BY n",
        )
        .await;
        assert_eq!(
            got,
            [
                "+---+-------+---------------+----------+",
                "| n | p     | u             | h        |",
                "+---+-------+---------------+----------+",
                "| 1 | 0.059 | $1,536.40     | 1.50 KiB |",
                "| 2 | 0.045 | -$12.00       | -12 B    |",
                "| 3 | 0.01  |               |          |",
                "| 4 |       | $1,234,567.89 | 1.18 MiB |",
                "+---+-------+---------------+----------+",
            ]
        );
        let err = ctx
            .sql("SELECT price(item, 'x') FROM (VALUES ('fuel')) t(item)")
            .await
            .expect("plans")
            .collect()
            .await
            .expect_err("no such item");
        assert!(
            err.to_string().contains("no price item named \"fuel\""),
            "{err}"
        );
    }

    #[tokio::test]
    async fn human_bytes_is_another_name_of_format_bytes() {
        let ctx = context(None);
        let got = run(
            &ctx,
            "SELECT format_bytes(1536) AS f, human_bytes(1536) AS h, format_bytes(5) AS b",
        )
        .await;
        assert_eq!(got[3], "| 1.50 KiB | 1.50 KiB | 5 B |");
    }

    #[tokio::test]
    async fn without_prices_price_is_null() {
        let ctx = context(None);
        let got = run(&ctx, "SELECT price('gb', 'us-east-1') AS p").await;
        assert_eq!(got[3], "|   |");
    }
}
