//! The inventory on a cluster: its tables written once as Parquet beside the dataset (in its
//! directory or its S3 prefix), where every node reads them, and the SQL functions that answer
//! from them, loaded once per process.
//!
//! The directory is named after a digest of the tables' bytes, so a changed inventory gets a
//! new directory and a node never answers from an older one it loaded before. The codec
//! ([`super::codec`]) sends a function as that directory: [`origin`] tells it which directory a
//! function answers from, and [`functions`] gives a node the same functions back.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use arrow::array::{RecordBatch, RecordBatchReader};
use datafusion::logical_expr::ScalarUDF;
use object_store::ObjectStoreExt;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

use crate::error::{Error, Result};
use crate::ingest::remote::{self, S3Url};
use crate::inventory::lookup::Lookup;
use crate::inventory::{Inventory, TABLES};
use crate::sql::udf;

use super::stores;

/// The directory, in a dataset, of the inventories published for a cluster.
pub const DIR: &str = "inventory";

/// Writes the tables of `inventory` under `<root>/inventory/<digest>/` (one `<table>.parquet`
/// each) unless they are there already, and returns that directory. `root` is a dataset's
/// directory or its `s3://` URL.
pub fn publish(root: &str, inventory: &Inventory) -> Result<String> {
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
    let digest = format!("{:016x}", digest.finish());
    if is_s3(root) {
        publish_s3(
            &format!("{}/{DIR}/{digest}", root.trim_end_matches('/')),
            files,
        )
    } else {
        publish_local(&Path::new(root).join(DIR), &digest, files)
    }
}

/// A reader never sees a partly written directory: it is written under a temporary name and
/// renamed.
fn publish_local(parent: &Path, digest: &str, files: Vec<(&str, Vec<u8>)>) -> Result<String> {
    let dir = parent.join(digest);
    let done = |dir: &Path| {
        std::fs::canonicalize(dir)
            .map(|d| d.to_string_lossy().into_owned())
            .map_err(|e| Error::io(dir, e))
    };
    if dir.is_dir() {
        return done(&dir);
    }
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let temp = tempfile::Builder::new()
        .prefix(".writing-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
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
    done(&dir)
}

/// S3 shows an object whole or not at all, and the last table is put last: once it is there,
/// every table is. Two runs that publish the same inventory put the same bytes.
fn publish_s3(dir: &str, files: Vec<(&str, Vec<u8>)>) -> Result<String> {
    let url = S3Url::parse(dir)?;
    let store = stores::bucket(&url.bucket)?;
    let key = |name: &str| object_store::path::Path::from(format!("{}/{name}.parquet", url.key));
    let failed = |name: &str, e: object_store::Error| {
        Error::input(format!("{dir}/{name}.parquet"), e.to_string())
    };
    let last = files.last().map(|(name, _)| *name).unwrap_or_default();
    remote::block_on(async {
        match store.head(&key(last)).await {
            Ok(_) => return Ok(()),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(failed(last, e)),
        }
        for (name, bytes) in files {
            store
                .put(&key(name), bytes.into())
                .await
                .map_err(|e| failed(name, e))?;
        }
        Ok(())
    })??;
    Ok(dir.to_string())
}

fn is_s3(location: &str) -> bool {
    location.starts_with("s3://")
}

/// The location of each inventory table's Parquet file in a published directory.
pub fn table_files(dir: &str) -> Vec<(&'static str, String)> {
    TABLES
        .iter()
        .map(|name| (*name, format!("{dir}/{name}.parquet")))
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
    for (name, path) in table_files(dir) {
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

/// One table file (a path or an `s3://` URL) as a single batch.
fn read_table(location: &str) -> Result<RecordBatch> {
    if is_s3(location) {
        let url = S3Url::parse(location)?;
        let store = stores::bucket(&url.bucket)?;
        let path = object_store::path::Path::from(url.key.as_str());
        let bytes = remote::block_on(async { store.get(&path).await?.bytes().await })?
            .map_err(|e| Error::input(location, e.to_string()))?;
        one_batch(location, bytes)
    } else {
        let file = std::fs::File::open(location).map_err(|e| Error::io(location, e))?;
        one_batch(location, file)
    }
}

fn one_batch<R: ChunkReader + 'static>(location: &str, reader: R) -> Result<RecordBatch> {
    let damaged = |e: &dyn std::fmt::Display| Error::input(location, e.to_string());
    let reader = ParquetRecordBatchReaderBuilder::try_new(reader)
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
        let root_text = root.path().to_str().expect("UTF-8 path");
        let dir = publish(root_text, &inventory).expect("published");
        assert_eq!(publish(root_text, &inventory).expect("again"), dir);
        // One directory, no temporary one left behind.
        let entries = std::fs::read_dir(root.path().join(DIR))
            .expect("dir")
            .count();
        assert_eq!(entries, 1);
        for (name, file) in table_files(&dir) {
            let original = inventory.table(name).expect("table");
            assert_eq!(&read_table(&file).expect("reads"), original, "{name}");
        }
        let text = dir.as_str();
        let functions = functions(text).expect("loads");
        assert_eq!(functions.len(), udf::all(None, None).len());
        assert!(functions.iter().all(|f| origin(f).as_deref() == Some(text)));
        assert!(Arc::ptr_eq(
            &functions,
            &super::functions(text).expect("cached")
        ));
        assert!(udf::all(None, None).iter().all(|f| origin(f).is_none()));
    }
}
