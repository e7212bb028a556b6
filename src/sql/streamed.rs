//! Tables each of whose scans is one stream of batches, made for the columns the scan reads:
//! the raw logs' `flows` (`flows.rs`) and the view the report pack shares between its
//! reports ([`super::pack`]).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

/// What a [`Streamed`] table streams.
pub(crate) trait Streams: std::fmt::Debug + Send + Sync + 'static {
    /// The table's schema.
    fn schema(&self) -> SchemaRef;
    /// Whether it is a base table or a view.
    fn table_type(&self) -> TableType;
    /// The stream of one scan of the columns `projection` names (all of them: `None`).
    fn stream(&self, projection: Option<&Vec<usize>>) -> Result<Arc<dyn PartitionStream>>;
}

/// A table whose every scan is the one partition its [`Streams`] gives for the scan's columns.
#[derive(Debug)]
pub(crate) struct Streamed<S>(pub(crate) S);

#[async_trait]
impl<S: Streams> TableProvider for Streamed<S> {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }

    fn table_type(&self) -> TableType {
        self.0.table_type()
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let partition = self.0.stream(projection)?;
        let schema = partition.schema().clone();
        Ok(Arc::new(StreamingTableExec::try_new(
            schema,
            vec![partition],
            None,
            vec![],
            false,
            limit,
        )?))
    }
}
