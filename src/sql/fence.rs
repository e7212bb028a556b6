//! A plan node that keeps filters on a view's computed columns above the view.
//!
//! DataFusion pushes a filter down through projections by substituting each column with the
//! expression that computes it. On `flows_classified` that multiplies: `traffic_class` is a
//! CASE over a dozen flags, each flag an expression over `flow_facts` fields, so a filter on
//! the class would be rewritten into an expression that calls `flow_facts` hundreds of times per
//! record (and, pushed into the Parquet scan, before any other work). A [`Fence`] on top of the
//! view stops that: a predicate that reads a computed column stays above it, where the column
//! is computed once; a predicate that reads only columns of `flows` goes down to the scan as
//! before (so `WHERE date = ...` still skips files). DataFusion's physical optimizer pushes
//! filters through projections the same way, so the fence is also a physical node,
//! [`FenceExec`], which passes its input's batches through and takes no filter; [`Planner`]
//! plans one for the other.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::DFSchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::{
    Expr, Extension, LogicalPlan, UserDefinedLogicalNode, UserDefinedLogicalNodeCore,
};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};

use super::scratch::ScratchWriteExec;

/// What a fence is called in plans (`EXPLAIN`) and in the cluster codec.
const NAME: &str = "Fence";

/// A pass-through node: its rows and columns are its input's; filters that read any of `kept`
/// are not pushed below it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct Fence {
    input: LogicalPlan,
    kept: BTreeSet<String>,
}

impl Fence {
    /// `input` behind a fence that keeps filters on every output column not named in `passing`.
    pub fn around(input: LogicalPlan, passing: &HashSet<String>) -> LogicalPlan {
        let kept = input
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|name| !passing.contains(name))
            .collect();
        LogicalPlan::Extension(Extension {
            node: Arc::new(Fence { input, kept }),
        })
    }

    /// The fence in `node`, if it is one.
    pub fn of(node: &dyn UserDefinedLogicalNode) -> Option<&Fence> {
        node.as_any().downcast_ref::<Fence>()
    }

    /// The fence's columns for the cluster codec: the kept names, one per line.
    pub fn encode(&self) -> Vec<u8> {
        let names: Vec<&str> = self.kept.iter().map(String::as_str).collect();
        format!("{NAME}\n{}", names.join("\n")).into_bytes()
    }

    /// The fence [`Fence::encode`] wrote in `buf`, over `input`; `None` if `buf` is no fence.
    pub fn decode(buf: &[u8], input: &LogicalPlan) -> Option<Fence> {
        let text = std::str::from_utf8(buf).ok()?;
        let mut lines = text.split('\n');
        if lines.next() != Some(NAME) {
            return None;
        }
        Some(Fence {
            input: input.clone(),
            kept: lines
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

impl UserDefinedLogicalNodeCore for Fence {
    fn name(&self) -> &str {
        NAME
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        self.input.schema()
    }

    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }

    fn prevent_predicate_push_down_columns(&self) -> HashSet<String> {
        self.kept.iter().cloned().collect()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{NAME}: filters on {} computed columns stay above",
            self.kept.len()
        )
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(Fence {
            input: only_input(inputs, NAME)?,
            kept: self.kept.clone(),
        })
    }

    fn necessary_children_exprs(&self, output_columns: &[usize]) -> Option<Vec<Vec<usize>>> {
        // The output is the input: a column needed above is the same column below.
        Some(vec![output_columns.to_vec()])
    }

    fn supports_limit_pushdown(&self) -> bool {
        true
    }
}

/// The one input of the plan node `name` (logical or physical), which takes exactly one.
pub(crate) fn only_input<T>(inputs: Vec<T>, name: &str) -> Result<T> {
    match <[T; 1]>::try_from(inputs) {
        Ok([input]) => Ok(input),
        Err(_) => Err(DataFusionError::Internal(format!(
            "{name} needs exactly one input"
        ))),
    }
}

/// DataFusion's physical planner, which plans a [`Fence`] as its input and a
/// [`super::scratch::ScratchWrite`] as a [`super::scratch::ScratchWriteExec`].
#[derive(Debug, Default)]
pub struct Planner;

#[async_trait]
impl QueryPlanner for Planner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn datafusion::catalog::Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(Through)])
            .create_physical_plan(logical_plan, session)
            .await
    }
}

/// Plans a fence as its input, and a scratch write.
struct Through;

#[async_trait]
impl ExtensionPlanner for Through {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn datafusion::catalog::Session,
        _planning_ctx: &datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        Ok(match (Fence::of(node), physical_inputs) {
            (Some(_), [input]) => Some(Arc::new(FenceExec::new(input.clone()))),
            _ => ScratchWriteExec::plan(node, physical_inputs),
        })
    }
}

/// The physical fence: its input's partitions, batches and order, and no filter pushed through
/// (the default of [`ExecutionPlan::gather_filters_for_pushdown`]); predicates on columns of
/// `flows` went below the logical fence already.
#[derive(Debug)]
pub struct FenceExec {
    input: Arc<dyn ExecutionPlan>,
}

impl FenceExec {
    /// A fence over `input`.
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        FenceExec { input }
    }

    /// What a physical fence is sent as between cluster nodes.
    pub const CODE: &[u8] = b"FenceExec";
}

impl DisplayAs for FenceExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "FenceExec")
    }
}

impl ExecutionPlan for FenceExec {
    fn name(&self) -> &str {
        "FenceExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(FenceExec::new(only_input(children, "FenceExec")?)))
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }
}
