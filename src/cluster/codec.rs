//! How plans that use vpcflow's SQL functions travel between client, scheduler and executors.
//!
//! A [`Fence`] travels as the names of the columns it keeps filters on, a [`FenceExec`] as its
//! name, a scratch write ([`ScratchWrite`], [`ScratchWriteExec`]) as its directory, a
//! [`FirstMatch`] (a CASE of flags and names) as its names beside its conditions.
//! Ballista's own codecs carry everything else. A function that answers from an inventory is
//! sent as the directory the inventory was published to ([`super::inventory`]), and the
//! receiving node loads the same functions from there; the address functions (and the others
//! when no inventory was given) are found by name in every node's registry.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr_common::physical_expr::proto_decode::PhysicalExprDecodeCtx;
use datafusion::physical_expr_common::physical_expr::proto_encode::PhysicalExprEncodeCtx;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

use super::inventory;
use crate::sql::fence::{Fence, FenceExec};
use crate::sql::first_match::FirstMatch;
use crate::sql::scratch::{ScratchWrite, ScratchWriteExec};

/// Ballista's logical codec, with vpcflow's functions.
#[derive(Debug, Default)]
pub struct LogicalCodec(BallistaLogicalExtensionCodec);

/// Ballista's physical codec, with vpcflow's functions.
#[derive(Debug, Default)]
pub struct PhysicalCodec(BallistaPhysicalExtensionCodec);

/// Writes the inventory directory a function answers from, if any.
fn encode_udf(function: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
    if let Some(dir) = inventory::origin(function) {
        buf.extend_from_slice(dir.as_bytes());
    }
    Ok(())
}

/// The function `name` of the inventory directory in `buf`.
fn decode_udf(name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
    let dir = std::str::from_utf8(buf).map_err(|_| {
        DataFusionError::Plan(format!("function {name}: the inventory path is not UTF-8"))
    })?;
    if dir.is_empty() {
        return Err(DataFusionError::Plan(format!(
            "function {name} is not known on this node"
        )));
    }
    let functions = inventory::functions(dir).map_err(|e| {
        DataFusionError::Execution(format!(
            "function {name}: cannot read the inventory at {dir}: {e}"
        ))
    })?;
    functions
        .iter()
        .find(|f| f.name() == name)
        .map(|f| Arc::new(f.clone()))
        .ok_or_else(|| DataFusionError::Plan(format!("function {name} is not known")))
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        if let [input] = inputs {
            if let Some(fence) = Fence::decode(buf, input) {
                return Ok(Extension {
                    node: Arc::new(fence),
                });
            }
            if let Some(write) = ScratchWrite::decode(buf, input) {
                return Ok(Extension {
                    node: Arc::new(write),
                });
            }
        }
        self.0.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(fence) = Fence::of(node.node.as_ref()) {
            buf.extend_from_slice(&fence.encode());
            return Ok(());
        }
        if let Some(write) = ScratchWrite::of(node.node.as_ref()) {
            buf.extend_from_slice(&write.encode());
            return Ok(());
        }
        self.0.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.0
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.0.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.0.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.0.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf(node, buf)
    }
}

impl PhysicalExtensionCodec for PhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if let [input] = inputs {
            if buf == FenceExec::CODE {
                return Ok(Arc::new(FenceExec::new(input.clone())));
            }
            if let Some(write) = ScratchWriteExec::decode(buf, input) {
                return Ok(Arc::new(write));
            }
        }
        self.0.try_decode(buf, inputs, ctx, converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if node.is::<FenceExec>() {
            buf.extend_from_slice(FenceExec::CODE);
            return Ok(());
        }
        if let Some(write) = ScratchWriteExec::of(node.as_ref()) {
            buf.extend_from_slice(&write.encode());
            return Ok(());
        }
        self.0.try_encode(node, buf, converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf(node, buf)
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        match FirstMatch::decode(buf, inputs) {
            Some(expr) => Ok(expr),
            None => self.0.try_decode_expr(buf, inputs, ctx),
        }
    }

    fn try_encode_expr(
        &self,
        node: &Arc<dyn PhysicalExpr>,
        buf: &mut Vec<u8>,
        ctx: &PhysicalExprEncodeCtx<'_>,
    ) -> Result<()> {
        match node.downcast_ref::<FirstMatch>() {
            Some(m) => {
                buf.extend_from_slice(&m.encode());
                Ok(())
            }
            None => self.0.try_encode_expr(node, buf, ctx),
        }
    }
}
