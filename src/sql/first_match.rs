//! `CASE WHEN c1 THEN 'a' WHEN c2 THEN 'b' ... ELSE 'z' END` in one pass over each batch: the
//! shape of the classification's `class_reason`, whose conditions are flags and whose results
//! are names.
//!
//! DataFusion evaluates a CASE branch by branch, each over the rows no earlier branch took:
//! every branch that takes some rows filters the batch's remaining rows twice, once for its
//! own and once for the rest. CASEs were a sixth of the report pack's CPU samples, most of it
//! the classification's fifteen branches; in one pass the pack takes about 5% less CPU.
//! A [`FirstMatch`] evaluates every condition over the whole batch instead (bitmaps, cheap
//! when conditions are plain logic on columns), picks the first met condition of each row,
//! and gathers the results from the literals.
//!
//! [`Rule`], a physical optimizer rule, puts one in place of each CASE of projections that
//! has that shape: no operand; at least two branches; every condition made only of columns,
//! literals, `NOT`, `IS [NOT] NULL`, `AND`, `OR` and comparisons (so that evaluating it on a
//! row an earlier branch took cannot fail where the CASE would not); every result and the
//! ELSE a text literal or NULL. Anything else stays a CASE. The cluster codec carries a
//! [`FirstMatch`] as its results ([`FirstMatch::encode`]) beside its conditions.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray, UInt32Array};
use arrow::buffer::BooleanBuffer;
use arrow::compute::take;
use arrow::datatypes::{DataType, Schema};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{ScalarValue, internal_err};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, Operator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{
    BinaryExpr, CaseExpr, Column, IsNotNullExpr, IsNullExpr, Literal, NotExpr,
};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};

/// The first met condition's result, per row; the last result when none is met.
#[derive(Debug, Hash, PartialEq, Eq)]
pub struct FirstMatch {
    /// The conditions, in order; a NULL condition is not met.
    conditions: Vec<Arc<dyn PhysicalExpr>>,
    /// One result per condition, then the ELSE result.
    results: Vec<Option<String>>,
}

/// How a [`FirstMatch`] begins in the cluster codec.
const CODE: &[u8] = b"FirstMatch\n";

impl FirstMatch {
    /// The expression of `case`, if it has the shape described in the module's header.
    fn of(case: &CaseExpr, schema: &Schema) -> Option<FirstMatch> {
        if case.expr().is_some() || case.when_then_expr().len() < 2 {
            return None;
        }
        let text = |e: &Arc<dyn PhysicalExpr>| match e.downcast_ref::<Literal>()?.value() {
            ScalarValue::Utf8(v) => Some(v.clone()),
            ScalarValue::Null => Some(None),
            _ => None,
        };
        let mut conditions = Vec::new();
        let mut results = Vec::new();
        for (when, then) in case.when_then_expr() {
            if !plain_logic(when) || when.data_type(schema).ok()? != DataType::Boolean {
                return None;
            }
            conditions.push(when.clone());
            results.push(text(then)?);
        }
        results.push(match case.else_expr() {
            Some(e) => text(e)?,
            None => None,
        });
        Some(FirstMatch {
            conditions,
            results,
        })
    }

    /// The results, for the cluster codec (the conditions travel as the expression's children).
    pub fn encode(&self) -> Vec<u8> {
        let mut buf = CODE.to_vec();
        for result in &self.results {
            match result {
                None => buf.push(0),
                Some(text) => {
                    buf.push(1);
                    buf.extend_from_slice(&(text.len() as u64).to_le_bytes());
                    buf.extend_from_slice(text.as_bytes());
                }
            }
        }
        buf
    }

    /// The expression [`FirstMatch::encode`] wrote, with its conditions; `None` for anything
    /// else.
    pub fn decode(
        buf: &[u8],
        conditions: &[Arc<dyn PhysicalExpr>],
    ) -> Option<Arc<dyn PhysicalExpr>> {
        let mut rest = buf.strip_prefix(CODE)?;
        let mut results = Vec::new();
        while let Some((&kind, after)) = rest.split_first() {
            rest = after;
            if kind == 0 {
                results.push(None);
                continue;
            }
            let (len, after) = rest.split_first_chunk::<8>()?;
            let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
            let text = after.get(..len)?;
            results.push(Some(String::from_utf8(text.to_vec()).ok()?));
            rest = &after[len..];
        }
        (results.len() == conditions.len() + 1).then(|| {
            Arc::new(FirstMatch {
                conditions: conditions.to_vec(),
                results,
            }) as Arc<dyn PhysicalExpr>
        })
    }
}

/// Whether `e` is made only of columns, literals, `NOT`, `IS [NOT] NULL`, `AND`, `OR` and
/// comparisons: what cannot fail on any row of a batch it was planned for.
fn plain_logic(e: &Arc<dyn PhysicalExpr>) -> bool {
    let node = if let Some(b) = e.downcast_ref::<BinaryExpr>() {
        matches!(
            b.op(),
            Operator::And
                | Operator::Or
                | Operator::Eq
                | Operator::NotEq
                | Operator::Lt
                | Operator::LtEq
                | Operator::Gt
                | Operator::GtEq
                | Operator::IsDistinctFrom
                | Operator::IsNotDistinctFrom
        )
    } else {
        e.is::<Column>()
            || e.is::<Literal>()
            || e.is::<NotExpr>()
            || e.is::<IsNullExpr>()
            || e.is::<IsNotNullExpr>()
    };
    node && e.children().into_iter().all(plain_logic)
}

impl fmt::Display for FirstMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FIRST_MATCH(")?;
        for (condition, result) in self.conditions.iter().zip(&self.results) {
            write!(f, "WHEN {condition} THEN {} ", sql_text(result.as_deref()))?;
        }
        let otherwise = self.results.last().and_then(Option::as_deref);
        write!(f, "ELSE {})", sql_text(otherwise))
    }
}

impl PhysicalExpr for FirstMatch {
    fn data_type(&self, _input_schema: &Schema) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn nullable(&self, _input_schema: &Schema) -> Result<bool> {
        Ok(self.results.iter().any(Option::is_none))
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let rows = batch.num_rows();
        let otherwise = u32::try_from(self.conditions.len()).unwrap_or(u32::MAX);
        let mut chosen = vec![otherwise; rows];
        // The rows no condition so far has taken.
        let mut open = BooleanBuffer::new_set(rows);
        for (i, condition) in (0u32..).zip(&self.conditions) {
            if open.count_set_bits() == 0 {
                break;
            }
            let value = condition.evaluate(batch)?.into_array(rows)?;
            let Some(value) = value.as_boolean_opt() else {
                return internal_err!("a condition of {self} is not boolean");
            };
            let met = match value.nulls() {
                Some(valid) => value.values() & valid.inner(),
                None => value.values().clone(),
            };
            for row in (&met & &open).set_indices() {
                chosen[row] = i;
            }
            open = &open & &!&met;
        }
        let results = StringArray::from(self.results.clone());
        let picked = take(&results, &UInt32Array::from(chosen), None)?;
        Ok(ColumnarValue::Array(picked))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        self.conditions.iter().collect()
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        if children.len() != self.conditions.len() {
            return internal_err!("{self} takes {} conditions", self.conditions.len());
        }
        Ok(Arc::new(FirstMatch {
            conditions: children,
            results: self.results.clone(),
        }))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CASE ")?;
        for (condition, result) in self.conditions.iter().zip(&self.results) {
            write!(f, "WHEN ")?;
            condition.fmt_sql(f)?;
            write!(f, " THEN {} ", sql_text(result.as_deref()))?;
        }
        let otherwise = self.results.last().and_then(Option::as_deref);
        write!(f, "ELSE {} END", sql_text(otherwise))
    }
}

/// A result as a SQL literal.
fn sql_text(text: Option<&str>) -> String {
    text.map_or_else(
        || "NULL".to_string(),
        |t| format!("'{}'", t.replace('\'', "''")),
    )
}

/// Puts a [`FirstMatch`] in place of every CASE of the shape it takes, in every projection.
#[derive(Debug, Default)]
pub struct Rule;

impl PhysicalOptimizerRule for Rule {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(projection) = node.downcast_ref::<ProjectionExec>() else {
                return Ok(Transformed::no(node));
            };
            let schema = projection.input().schema();
            let mut changed = false;
            let mut exprs = Vec::with_capacity(projection.expr().len());
            for p in projection.expr() {
                let expr = p
                    .expr
                    .clone()
                    .transform_up(|e| match e.downcast_ref::<CaseExpr>() {
                        Some(case) => Ok(FirstMatch::of(case, &schema).map_or_else(
                            || Transformed::no(e.clone()),
                            |m| Transformed::yes(Arc::new(m) as Arc<dyn PhysicalExpr>),
                        )),
                        None => Ok(Transformed::no(e)),
                    })?;
                changed |= expr.transformed;
                exprs.push(ProjectionExpr {
                    expr: expr.data,
                    alias: p.alias.clone(),
                });
            }
            if !changed {
                return Ok(Transformed::no(node));
            }
            let rebuilt = ProjectionExec::try_new_with_schema_metadata(
                exprs,
                projection.input().clone(),
                &projection.schema(),
            )?;
            Ok(Transformed::yes(Arc::new(rebuilt) as Arc<dyn ExecutionPlan>))
        })
        .data()
    }

    fn name(&self) -> &str {
        "first_match"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    /// The same CASE with and without the rule, over every combination of three conditions
    /// that may each be true, false or NULL, with a NULL result, a NULL condition and a
    /// comparison among them; and a CASE the rule must leave alone (its conditions divide).
    #[tokio::test]
    async fn answers_as_the_case_does() {
        let sql = "WITH v(a, b, c) AS (SELECT * FROM (VALUES (true), (false), (NULL)) x(a) \
                   CROSS JOIN (VALUES (true), (false), (NULL)) y(b) \
                   CROSS JOIN (VALUES (1), (2), (NULL)) z(c)) \
                   SELECT a, b, c, \
                   CASE WHEN a AND c = 1 THEN 'first' WHEN NOT b THEN NULL \
                        WHEN b IS NULL OR a THEN 'third' ELSE 'it''s none' END AS m, \
                   CASE WHEN c = 2 THEN 'two' WHEN 10 / (c - 2) > 0 THEN 'more' END AS n \
                   FROM v ORDER BY a, b, c";
        let run = |ctx: SessionContext| async move {
            let df = ctx.sql(sql).await.expect("plans");
            let plan = df.clone().create_physical_plan().await.expect("physical");
            let shown = datafusion::physical_plan::displayable(plan.as_ref())
                .indent(true)
                .to_string();
            let batches = df.collect().await.expect("runs");
            let text = arrow::util::pretty::pretty_format_batches(&batches)
                .expect("formats")
                .to_string();
            (shown, text)
        };
        let plain = SessionContext::new();
        let with_rule = SessionContext::new_with_state(
            datafusion::execution::SessionStateBuilder::new_from_existing(plain.state())
                .with_physical_optimizer_rule(Arc::new(Rule))
                .build(),
        );
        let (plain_plan, expected) = run(plain).await;
        let (plan, got) = run(with_rule).await;
        assert!(!plain_plan.contains("FIRST_MATCH"), "{plain_plan}");
        assert_eq!(plan.matches("FIRST_MATCH").count(), 1, "{plan}");
        assert!(
            plan.contains("CASE WHEN c"),
            "the dividing CASE stays: {plan}"
        );
        assert_eq!(got, expected);
        // Derived by hand: a=true, b=true, c=1 takes the first branch; a=false, b=false
        // the second (NULL); a=NULL, b=NULL, c=NULL the third; a=NULL, b=true none.
        for row in [
            "| true  | true  | 1 | first     |",
            "| false | false | 1 |           |",
            "|       |       |   | third     |",
            "|       | true  | 1 | it's none |",
        ] {
            assert!(got.contains(row), "{row} in\n{got}");
        }
    }

    #[test]
    fn the_codec_form_round_trips() {
        let conditions: Vec<Arc<dyn PhysicalExpr>> =
            vec![Arc::new(Column::new("a", 0)), Arc::new(Column::new("b", 1))];
        let m = FirstMatch {
            conditions: conditions.clone(),
            results: vec![Some("x".into()), None, Some("ünï\n".into())],
        };
        let buf = m.encode();
        let back = FirstMatch::decode(&buf, &conditions).expect("decodes");
        assert_eq!(back.to_string(), m.to_string());
        assert!(FirstMatch::decode(&buf, &conditions[..1]).is_none());
        assert!(FirstMatch::decode(&buf[..buf.len() - 1], &conditions).is_none());
        assert!(FirstMatch::decode(b"FenceExec", &conditions).is_none());
    }
}
