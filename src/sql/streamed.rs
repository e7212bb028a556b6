//! Tables each of whose scans is one stream of batches, made for the columns the scan reads:
//! the raw logs' `flows` (`flows.rs`) and the view the report pack shares between its reports
//! ([`super::pack`]).

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
    /// The stream of one scan of the columns `projection` names (all of them: `None`).
    fn stream(&self, projection: Option<&Vec<usize>>) -> Result<Arc<dyn PartitionStream>>;
}

/// A table whose every scan is the one partition its [`Streams`] gives for the scan's columns.
#[derive(Debug)]
pub(crate) struct Streamed<S> {
    schema: SchemaRef,
    kind: TableType,
    streams: S,
}

impl<S: Streams> Streamed<S> {
    /// The table of `kind` with `schema` whose scans `streams` gives.
    pub(crate) fn new(schema: SchemaRef, kind: TableType, streams: S) -> Arc<Self> {
        Arc::new(Streamed {
            schema,
            kind,
            streams,
        })
    }
}

#[async_trait]
impl<S: Streams> TableProvider for Streamed<S> {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        self.kind
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let partition = self.streams.stream(projection)?;
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
