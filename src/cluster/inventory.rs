//! The inventory on a cluster: its tables written once as Parquet beside the dataset, where
//! every node reads them, and the SQL functions that answer from them, loaded once per process.
//!
//! The directory is named after a digest of the tables' bytes, so a changed inventory gets a
//! new directory and a node never answers from an older one it loaded before. The codec
//! ([`super::codec`]) sends a function as that directory: [`origin`] tells it which directory a
//! function answers from, and [`functions`] gives a node the same functions back.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use arrow::array::{RecordBatch, RecordBatchReader};
use datafusion::logical_expr::ScalarUDF;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, Result};
use crate::inventory::lookup::Lookup;
use crate::inventory::{Inventory, TABLES};
use crate::sql::udf;

/// The directory, in a dataset, of the inventories published for a cluster.
pub const DIR: &str = "inventory";

/// Writes the tables of `inventory` under `<root>/inventory/<digest>/` (one `<table>.parquet`
/// each) unless they are there already, and returns that directory. A reader never sees a
/// partly written directory: it is written under a temporary name and renamed.
pub fn publish(root: &Path, inventory: &Inventory) -> Result<PathBuf> {
    let mut files = Vec::new();
    let mut digest = DefaultHasher::new();
    for (name, batch) in inventory.tables() {
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, batch.schema(), None)?;
        writer.write(&batch)?;
        writer.close()?;
        digest.write(name.as_bytes());
        digest.write(&bytes);
        files.push((name, bytes));
    }
    let parent = root.join(DIR);
    let dir = parent.join(format!("{:016x}", digest.finish()));
    if dir.is_dir() {
        return std::fs::canonicalize(&dir).map_err(|e| Error::io(&dir, e));
    }
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let temp = tempfile::Builder::new()
        .prefix(".writing-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    for (name, bytes) in files {
        let path = temp.path().join(format!("{name}.parquet"));
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    let written = temp.keep();
    if let Err(e) = std::fs::rename(&written, &dir) {
        // Another run published the same inventory first; its copy is as good.
        let _ = std::fs::remove_dir_all(&written);
        if !dir.is_dir() {
            return Err(Error::io(&dir, e));
        }
    }
    std::fs::canonicalize(&dir).map_err(|e| Error::io(&dir, e))
}

/// The Parquet file of each inventory table in a published directory.
pub fn table_files(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    TABLES
        .iter()
        .map(|name| (*name, dir.join(format!("{name}.parquet"))))
        .collect()
}

/// What this process loaded: the functions of each published directory, and the directory of
/// each function (by the address of its implementation, which every clone shares).
#[derive(Default)]
struct Loaded {
    functions: HashMap<String, Arc<Vec<ScalarUDF>>>,
    origins: HashMap<usize, String>,
}

static LOADED: LazyLock<Mutex<Loaded>> = LazyLock::new(Mutex::default);

/// The address that identifies a function's implementation.
fn key(function: &ScalarUDF) -> usize {
    Arc::as_ptr(function.inner()).cast::<()>() as usize
}

/// Every SQL function, answering from the inventory published in `dir` (read on first use).
pub fn functions(dir: &str) -> Result<Arc<Vec<ScalarUDF>>> {
    if let Some(found) = lock().functions.get(dir) {
        return Ok(found.clone());
    }
    let mut tables = Vec::new();
    for (name, path) in table_files(Path::new(dir)) {
        tables.push((name, read_table(&path)?));
    }
    let inventory = Inventory::from_tables(tables)?;
    let index = inventory.ip_ranges().map(|r| r.index());
    let lookup = Arc::new(Lookup::new(&inventory, index.clone()));
    let functions = Arc::new(udf::all(index.as_ref(), Some(lookup)));
    let mut loaded = lock();
    // Two queries may load the same directory at once; the first one stored is kept.
    if let Some(found) = loaded.functions.get(dir) {
        return Ok(found.clone());
    }
    for f in functions.iter() {
        loaded.origins.insert(key(f), dir.to_string());
    }
    loaded.functions.insert(dir.to_string(), functions.clone());
    Ok(functions)
}

/// The published directory `function` answers from, if it was loaded by [`functions`].
pub fn origin(function: &ScalarUDF) -> Option<String> {
    lock().origins.get(&key(function)).cloned()
}

fn lock() -> std::sync::MutexGuard<'static, Loaded> {
    LOADED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One table file as a single batch.
fn read_table(path: &Path) -> Result<RecordBatch> {
    let damaged = |e: &dyn std::fmt::Display| Error::input(path, e.to_string());
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| damaged(&e))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| damaged(&e))?;
    arrow::compute::concat_batches(&schema, &batches).map_err(|e| damaged(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_writes_once_and_reads_back_the_same_functions() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/inventory");
        let inventory = Inventory::load(&sample, None).expect("sample inventory");
        let root = tempfile::tempdir().expect("tempdir");
        let dir = publish(root.path(), &inventory).expect("published");
        assert_eq!(publish(root.path(), &inventory).expect("again"), dir);
        // One directory, no temporary one left behind.
        let entries = std::fs::read_dir(root.path().join(DIR))
            .expect("dir")
            .count();
        assert_eq!(entries, 1);
        for (name, file) in table_files(&dir) {
            let original = inventory.table(name).expect("table");
            assert_eq!(&read_table(&file).expect("reads"), original, "{name}");
        }
        let text = dir.to_string_lossy();
        let functions = functions(&text).expect("loads");
        assert_eq!(functions.len(), udf::all(None, None).len());
        assert!(
            functions
                .iter()
                .all(|f| origin(f).as_deref() == Some(&*text))
        );
        assert!(Arc::ptr_eq(
            &functions,
            &super::functions(&text).expect("cached")
        ));
        assert!(udf::all(None, None).iter().all(|f| origin(f).is_none()));
    }
}
