//! The figure functions: `price(item, region)`, answered from the [`PriceList`] a session is
//! given (the audit's prices; without one it returns NULL), `usd(amount)`, which writes an
//! amount as `$1,234.56`, and `format_bytes(n)` (also named `human_bytes`), which writes a byte
//! count as `1.50 GiB`. [`format_usd`] and [`human_bytes`] are the same writing for the audit's
//! pages; the byte count's is the text tables' too (`crate::report::human_bytes`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
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

    /// The tiers `item` is billed in within a month: (the cumulative quantity up to which a
    /// price holds, that price), in ascending order, the last up to infinity. One tier at
    /// [`PriceList::price`] unless the list says otherwise.
    fn tiers(&self, item: &str, region: Option<&str>) -> Option<Vec<(f64, f64)>> {
        self.price(item, region).map(|p| vec![(f64::INFINITY, p)])
    }
}

/// The cost of `quantity` more of an item billed in `tiers` when `before` of it was billed
/// already in the month (negative for a quantity taken away).
pub fn tiered_cost(tiers: &[(f64, f64)], before: f64, quantity: f64) -> f64 {
    let cost = |total: f64| {
        let mut lower = 0.0;
        let mut sum = 0.0;
        for &(upper, price) in tiers {
            if total > lower {
                sum += (total.min(upper) - lower) * price;
            }
            lower = upper;
        }
        sum
    };
    cost((before + quantity).max(0.0)) - cost(before.max(0.0))
}

/// `price(item, region)` over the prices it answers from.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Price {
    /// `None` when the session was given no prices.
    prices: Loaded<dyn PriceList>,
    signature: Signature,
}

/// The name of the function that prices a quantity of an item, its tiers included.
pub(super) const BILLED_USD: &str = "billed_usd";

/// `billed_usd(item, region, quantity [, before])` over the prices it answers from.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Billed {
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

/// The billed-amount function over `prices` (`None`: no prices, it returns NULL).
pub(super) fn billed(prices: Option<Arc<dyn PriceList>>) -> ScalarUDF {
    let (text, number) = (DataType::Utf8, DataType::Float64);
    let args = |n: usize| {
        let mut types = vec![text.clone(), text.clone()];
        types.resize(n, number.clone());
        TypeSignature::Exact(types)
    };
    ScalarUDF::new_from_impl(Billed {
        prices: Loaded(prices),
        signature: Signature::one_of(vec![args(3), args(4)], Volatility::Immutable),
    })
}

/// The figure functions, `price` and `billed_usd` over `prices`, ready to register.
pub(super) fn functions(prices: Option<Arc<dyn PriceList>>) -> Vec<ScalarUDF> {
    let written = [Writing::Usd, Writing::Bytes].map(|kind| {
        let number = TypeSignature::Exact(vec![DataType::Float64]);
        let places = TypeSignature::Exact(vec![DataType::Float64, DataType::Int64]);
        ScalarUDF::new_from_impl(Written {
            kind,
            signature: match kind {
                Writing::Usd => Signature::one_of(vec![number, places], Volatility::Immutable),
                Writing::Bytes => Signature::new(number, Volatility::Immutable),
            },
            aliases: match kind {
                Writing::Usd => Vec::new(),
                Writing::Bytes => vec![HUMAN_BYTES.to_string()],
            },
        })
    });
    [price(prices.clone()), billed(prices)]
        .into_iter()
        .chain(written)
        .collect()
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

impl ScalarUDFImpl for Billed {
    fn name(&self) -> &str {
        BILLED_USD
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, call: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let items = Strings::arg(BILLED_USD, &call.args, 0)?;
        let regions = Strings::arg(BILLED_USD, &call.args, 1)?;
        let constant = call
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if constant { 1 } else { call.number_rows };
        let numbers = call.args[2..]
            .iter()
            .map(|a| {
                let array = a.to_array(rows)?;
                array
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .cloned()
                    .ok_or_else(|| {
                        DataFusionError::Execution(format!("{BILLED_USD}: expects numbers"))
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let number = |i: usize, row: usize| {
            numbers
                .get(i)
                .and_then(|a| (!a.is_null(row)).then(|| a.value(row)))
        };
        let mut out = Vec::with_capacity(rows);
        for row in 0..rows {
            let (Some(prices), Some(item), Some(quantity)) =
                (self.prices.get(), items.get(row), number(0, row))
            else {
                out.push(None);
                continue;
            };
            let tiers = prices.tiers(item, regions.get(row)).ok_or_else(|| {
                DataFusionError::Execution(format!("{BILLED_USD}: no price item named {item:?}"))
            })?;
            let before = number(1, row).unwrap_or(0.0);
            out.push(Some(tiered_cost(&tiers, before, quantity)));
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
        let places = arrays
            .get(1)
            .and_then(|a| a.as_any().downcast_ref::<Int64Array>());
        let out: StringArray = numbers
            .iter()
            .enumerate()
            .map(|(row, n)| {
                let n = n?;
                Some(match self.kind {
                    Writing::Usd => match places {
                        Some(p) if p.is_valid(row) => {
                            format_usd_places(n, u32::try_from(p.value(row)).unwrap_or(2))
                        }
                        _ => format_usd(n),
                    },
                    Writing::Bytes => human_bytes(n.round() as i64),
                })
            })
            .collect();
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
    format_usd_places(amount, 2)
}

/// The amount in dollars with `places` decimals (at least 2, at most 6): `$0.005` with 3.
pub fn format_usd_places(amount: f64, places: u32) -> String {
    let places = places.clamp(2, 6);
    let unit = 10u64.pow(places);
    let fraction = (amount.abs() * unit as f64).round() as u64;
    let whole = (fraction / unit).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0.0 && fraction > 0 {
        "-"
    } else {
        ""
    };
    let width = places as usize;
    format!("{sign}${grouped}.{:0width$}", fraction % unit)
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
        assert_eq!(format_usd_places(0.005, 3), "$0.005");
        assert_eq!(format_usd_places(1234.5, 3), "$1,234.500");
        assert_eq!(format_usd_places(0.0001, 9), "$0.000100");
        assert_eq!(format_usd_places(-0.0049, 1), "$0.00");
    }

    #[test]
    fn a_tiered_item_costs_each_tier_at_its_price() {
        // AWS's interface endpoint tiers in GB a month: 0.01 to 1 PB, 0.006 to 5 PB, 0.004 above.
        let pb = 1024.0 * 1024.0;
        let tiers = [(pb, 0.01), (5.0 * pb, 0.006), (f64::INFINITY, 0.004)];
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        // 2 PB from nothing: 1048576 x 0.01 + 1048576 x 0.006 = 10485.76 + 6291.456.
        assert!(close(tiered_cost(&tiers, 0.0, 2.0 * pb), 16777.216));
        // 100 GB on top of 6 PB: all in the last tier.
        assert!(close(tiered_cost(&tiers, 6.0 * pb, 100.0), 0.4));
        // 2 GB taken off at 1 PB + 1 GB: 1 GB of the second tier and 1 of the first.
        assert!(close(tiered_cost(&tiers, pb + 1.0, -2.0), -0.016));
        // One tier: quantity x price.
        assert!(close(
            tiered_cost(&[(f64::INFINITY, 0.045)], 123.0, 10.0),
            0.45
        ));
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
    async fn billed_usd_prices_a_quantity_and_is_null_without_prices() {
        let ctx = context(Some(Arc::new(Two)));
        let got = run(
            &ctx,
            "SELECT billed_usd('gb', 'ap-southeast-1', 10.0) AS a, \
             round(billed_usd('gb', NULL, 10.0, 5.0), 6) AS b, billed_usd('gb', NULL, NULL) AS c, \
             usd(0.005, 3) AS d",
        )
        .await;
        assert_eq!(
            got,
            [
                "+------+------+---+--------+",
                "| a    | b    | c | d      |",
                "+------+------+---+--------+",
                "| 0.59 | 0.45 |   | $0.005 |",
                "+------+------+---+--------+",
            ]
        );
        let none = context(None);
        let got = run(&none, "SELECT billed_usd('gb', 'x', 1.0) IS NULL AS n").await;
        assert_eq!(got[3], "| true |");
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
