//! Records to bytes: space-separated text (with or without a header line), gzip with a fixed
//! header, and AWS-style Parquet. Nothing here reads a clock or a hash-map order, so the same
//! records always give the same bytes.

use std::io::Write as _;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use flate2::{Compression, GzBuilder};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression as ParquetCompression, GzipLevel};
use parquet::file::properties::WriterProperties;

use super::layouts::{layout_version, parquet_type};
use super::traffic::Row;
use crate::error::Result;

/// Renders records in `fields` order, one per line, optionally after a header line.
pub(crate) fn render_text(fields: &[&str], rows: &[&Row], header: bool) -> Vec<u8> {
    let version = layout_version(fields).to_string();
    let mut s = String::with_capacity(rows.len() * fields.len() * 10 + 256);
    if header {
        s.push_str(&fields.join(" "));
        s.push('\n');
    }
    for row in rows {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            if *f == "version" {
                s.push_str(&version);
            } else {
                s.push_str(row.rec.get(*f).map_or("-", String::as_str));
            }
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// Gzip with a fixed header (no name, mtime 0) and level, so the bytes never vary.
pub(crate) fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzBuilder::new()
        .mtime(0)
        .write(Vec::with_capacity(data.len() / 4), Compression::new(6));
    enc.write_all(data)?;
    enc.finish()
}

/// 32-bit FNV-1a: the 8-hex-digit suffix of object names, from the object's content.
pub(crate) fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// One Parquet column: the field's values in `rows` (`-` as null, `version` from the layout),
/// typed as the registry says AWS types it; returns the array and its type.
fn parquet_column(field: &str, version: i32, rows: &[&Row]) -> (ArrayRef, DataType) {
    let value = |row: &Row| -> Option<String> {
        if field == "version" {
            return Some(version.to_string());
        }
        row.rec.get(field).filter(|v| v.as_str() != "-").cloned()
    };
    match parquet_type(field) {
        DataType::Int32 => {
            let mut b = Int32Builder::with_capacity(rows.len());
            for row in rows {
                b.append_option(value(row).and_then(|v| v.parse::<i32>().ok()));
            }
            (Arc::new(b.finish()), DataType::Int32)
        }
        DataType::Int64 => {
            let mut b = Int64Builder::with_capacity(rows.len());
            for row in rows {
                b.append_option(value(row).and_then(|v| v.parse::<i64>().ok()));
            }
            (Arc::new(b.finish()), DataType::Int64)
        }
        _ => {
            let mut b = StringBuilder::new();
            for row in rows {
                b.append_option(value(row));
            }
            (Arc::new(b.finish()), DataType::Utf8)
        }
    }
}

/// An AWS-style Parquet object: underscore column names, INT32/INT64/UTF8 types, `-` as null,
/// GZIP compression, no embedded Arrow schema.
pub(crate) fn render_parquet(fields: &[&str], rows: &[&Row]) -> Result<Vec<u8>> {
    let version = i32::from(layout_version(fields));
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    let mut schema_fields = Vec::with_capacity(fields.len());
    for f in fields {
        let (array, data_type) = parquet_column(f, version, rows);
        columns.push(array);
        schema_fields.push(Field::new(f.replace('-', "_"), data_type, true));
    }
    let schema = Arc::new(Schema::new(schema_fields));
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    let props = WriterProperties::builder()
        .set_compression(ParquetCompression::GZIP(GzipLevel::default()))
        .build();
    let options = ArrowWriterOptions::new()
        .with_properties(props)
        .with_skip_arrow_metadata(true);
    let mut buf = Vec::new();
    let mut writer = ArrowWriter::try_new_with_options(&mut buf, schema, options)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(buf)
}
