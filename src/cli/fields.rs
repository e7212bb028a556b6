//! `vpcflow fields`: the field registry as a table or JSON.

use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray, UInt8Array};
use arrow::datatypes::{DataType, Field, Schema};
use clap::Args;

use super::common::{Outcome, print_fitted};
use crate::error::Result;
use crate::ingest::fields::{FIELDS, hyphenated};
use crate::report::Format;

/// Arguments of `vpcflow fields`.
#[derive(Debug, Args)]
pub struct FieldsArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

/// The registry as one batch: column, header spelling, version, type, meaning.
pub fn registry_batch() -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("column", DataType::Utf8, false),
        Field::new("header", DataType::Utf8, false),
        Field::new("version", DataType::UInt8, false),
        Field::new("type", DataType::Utf8, false),
        Field::new("meaning", DataType::Utf8, false),
    ]));
    let names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
    let headers: Vec<String> = FIELDS.iter().map(|f| hyphenated(f.name)).collect();
    let versions: Vec<u8> = FIELDS.iter().map(|f| f.version).collect();
    let types: Vec<String> = FIELDS
        .iter()
        .map(|f| format!("{} ({})", f.kind.label(), f.kind.data_type()))
        .collect();
    let docs: Vec<&str> = FIELDS.iter().map(|f| f.doc).collect();
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(names)),
            Arc::new(StringArray::from(headers)),
            Arc::new(UInt8Array::from(versions)),
            Arc::new(StringArray::from(types)),
            Arc::new(StringArray::from(docs)),
        ],
    )?)
}

/// Prints the registry.
pub fn run(args: FieldsArgs) -> Result<Outcome> {
    print_fitted(&registry_batch()?, args.output)?;
    Ok(Outcome::Success)
}
