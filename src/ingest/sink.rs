//! The Parquet dataset that `ingest` writes: atomic, incremental, partitioned by date.
//!
//! Layout of a dataset directory:
//! ```text
//! DIR/flows/date=YYYY-MM-DD/part-<run>-<n>.parquet   the data (Hive-style partitions)
//! DIR/_vpcflow/commits/<run>.json                     one manifest per committed run
//! DIR/_vpcflow/staging/<run>/...                      files of a run being written
//! DIR/_vpcflow/lock                                   held while a run writes
//! ```
//! A run writes into staging, syncs, moves its files into place and commits by renaming its
//! manifest into `commits/` (the commit point). Readers read only the files that committed
//! manifests name (`sql::committed`), so they never see a partly written file, a file of an
//! uncommitted run, or part of a run. A crash before the commit leaves files that the next run
//! deletes (staging keeps their list until the commit). The manifests
//! also record which inputs were ingested (path, size, modification time), which makes runs
//! incremental. Parsing is left to `parallel`; this module only writes and commits.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use arrow::array::{Array, AsArray, Date32Array, MutableArrayData, RecordBatch, make_array};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{filter_record_batch, is_null, partition};
use arrow::datatypes::{Date32Type, Fields, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::iter::{
    IndexedParallelIterator, IntoParallelIterator, IntoParallelRefIterator, ParallelIterator,
};
use serde::{Deserialize, Serialize};

use super::format::DATE_COLUMN;
use crate::error::{Error, Result};

/// Directory of a dataset's own bookkeeping (manifests, staging, lock).
pub const META: &str = "_vpcflow";
/// Directory of the flows table inside a dataset.
pub const FLOWS_DIR: &str = "flows";

/// Whether `dir` is a vpcflow dataset.
pub fn is_dataset(dir: &Path) -> bool {
    dir.join(META).join("commits").is_dir()
}

/// An input as recorded in a manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IngestedInput {
    /// Absolute path of the object.
    pub path: String,
    /// Size in bytes when ingested.
    pub size: u64,
    /// Modification time (ns since the epoch) when ingested.
    pub modified: i128,
    /// The object store's entity tag when ingested (`s3://` inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Why the object could not be read whole, when only its good part was kept: recorded so
    /// that it is not parsed (and its good part counted) twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damaged: Option<String>,
}

/// An input a run could not read, and kept nothing of: not recorded as ingested, so the next
/// run tries it again; remembered until it succeeds (see [`unread`]).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Unread {
    /// Its path or URL, as in [`IngestedInput::path`].
    pub path: String,
    /// Why it could not be read.
    pub reason: String,
}

/// The inputs that some run could not read and no run has ingested since: the holes in the
/// dataset, each with the latest reason.
pub fn unread(manifests: &[Manifest]) -> Vec<Unread> {
    let ingested: std::collections::BTreeSet<&str> = manifests
        .iter()
        .flat_map(|m| &m.inputs)
        .map(|i| i.path.as_str())
        .collect();
    let mut latest: BTreeMap<&str, &Unread> = BTreeMap::new();
    for u in manifests.iter().flat_map(|m| &m.unread) {
        if !ingested.contains(u.path.as_str()) {
            latest.insert(&u.path, u);
        }
    }
    latest.into_values().cloned().collect()
}

/// The files a reader whose view ends at the run `upto` reads (relative to the dataset's root):
/// those of every committed run up to `upto` that no run up to it replaces. `Err(run)` when a
/// later `run` replaced some of them: their files are being deleted, and the view is gone.
pub fn visible_files(
    manifests: &[Manifest],
    upto: &str,
) -> std::result::Result<std::collections::BTreeSet<String>, String> {
    let seen = |m: &&Manifest| m.run.as_str() <= upto;
    if let Some(later) = manifests
        .iter()
        .find(|m| !seen(m) && m.replaces.iter().any(|r| r.as_str() <= upto))
    {
        return Err(later.run.clone());
    }
    let replaced: std::collections::BTreeSet<&str> = manifests
        .iter()
        .filter(seen)
        .flat_map(|m| m.replaces.iter().map(String::as_str))
        .collect();
    Ok(manifests
        .iter()
        .filter(seen)
        .filter(|m| !replaced.contains(m.run.as_str()))
        .flat_map(|m| m.files.iter().cloned())
        .collect())
}

/// What one committed run wrote.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Run id (sortable).
    pub run: String,
    /// Inputs the run ingested.
    pub inputs: Vec<IngestedInput>,
    /// Files written, relative to the dataset root.
    pub files: Vec<String>,
    /// Earlier runs whose files this run replaces (`--force`, `--retry-damaged`).
    #[serde(default)]
    pub replaces: Vec<String>,
    /// Inputs the run could not read and did not record (see [`Unread`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Unread>,
}

/// An open dataset, locked for writing.
pub struct Dataset {
    root: PathBuf,
    _lock: File,
}

fn io<T>(path: &Path, r: std::io::Result<T>) -> Result<T> {
    r.map_err(|e| Error::io(path, e))
}

/// A Parquet write error as an error of the file being written: a full disk or a file-size
/// limit reads "PATH: No space left on device", not a bare "External: ...".
fn written<T>(path: &Path, r: parquet::errors::Result<T>) -> Result<T> {
    r.map_err(|e| match e {
        parquet::errors::ParquetError::External(inner) => {
            match inner.downcast::<std::io::Error>() {
                Ok(e) => Error::io(path, *e),
                Err(other) => Error::input(path, other.to_string()),
            }
        }
        e => Error::input(path, e.to_string()),
    })
}

impl Dataset {
    /// Opens (creating if needed) the dataset at `root`, takes its lock and finishes or cleans up
    /// whatever an interrupted run left.
    pub fn open(root: &Path) -> Result<Dataset> {
        let meta = root.join(META);
        io(&meta, fs::create_dir_all(meta.join("commits")))?;
        io(&meta, fs::create_dir_all(meta.join("staging")))?;
        let lock_path = meta.join("lock");
        let lock = io(&lock_path, File::create(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::Usage(format!(
                    "{}: another vpcflow ingest is writing to this dataset; try again when it ends",
                    root.display()
                )));
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, e)),
        }
        let ds = Dataset {
            root: root.to_path_buf(),
            _lock: lock,
        };
        ds.recover()?;
        Ok(ds)
    }

    /// The dataset's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn commits_dir(&self) -> PathBuf {
        self.root.join(META).join("commits")
    }

    fn staging_dir(&self, run: &str) -> PathBuf {
        self.root.join(META).join("staging").join(run)
    }

    /// Committed manifests, oldest first.
    pub fn manifests(&self) -> Result<Vec<Manifest>> {
        read_manifests(&self.root)
    }

    /// Finishes what an interrupted run left: a committed run's files still staged are moved
    /// in (datasets of earlier versions moved them after the commit), an uncommitted run's
    /// files are deleted wherever they are, and replacements are applied.
    fn recover(&self) -> Result<()> {
        let manifests = self.manifests()?;
        let staging = self.root.join(META).join("staging");
        for entry in io(&staging, fs::read_dir(&staging))? {
            let dir = io(&staging, entry)?.path();
            let run = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            match manifests.iter().find(|m| Some(&m.run) == run.as_ref()) {
                Some(m) => self.move_in(&m.run, &m.files)?,
                None => {
                    let pending = dir.join(PENDING);
                    if let Ok(body) = fs::read(&pending) {
                        let files: Vec<String> = serde_json::from_slice(&body)
                            .map_err(|e| Error::input(&pending, e.to_string()))?;
                        for rel in files {
                            remove_if_present(&self.root.join(rel))?;
                        }
                    }
                }
            }
            io(&dir, fs::remove_dir_all(&dir))?;
        }
        for m in &manifests {
            self.apply_replacements(m)?;
        }
        Ok(())
    }

    /// Moves a run's staged files into place. Idempotent.
    fn move_in(&self, run: &str, files: &[String]) -> Result<()> {
        let staging = self.staging_dir(run);
        for rel in files {
            let from = staging.join(rel);
            let to = self.root.join(rel);
            if from.exists() {
                if let Some(dir) = to.parent() {
                    io(dir, fs::create_dir_all(dir))?;
                }
                io(&to, fs::rename(&from, &to))?;
            }
        }
        Ok(())
    }

    /// Deletes the files and manifests of the runs `m` replaces. Idempotent.
    fn apply_replacements(&self, m: &Manifest) -> Result<()> {
        if m.replaces.is_empty() {
            return Ok(());
        }
        for old in read_manifests(&self.root)? {
            if m.replaces.contains(&old.run) {
                for rel in &old.files {
                    remove_if_present(&self.root.join(rel))?;
                }
                remove_if_present(&self.commits_dir().join(format!("{}.json", old.run)))?;
            }
        }
        Ok(())
    }

    /// Starts a run writing batches of `schema` (which includes the `date` column).
    pub fn writer(&self, schema: SchemaRef) -> Result<RunWriter> {
        let run = run_id();
        let staging = self.staging_dir(&run);
        io(&staging, fs::create_dir_all(&staging))?;
        let date_index = schema
            .index_of(DATE_COLUMN)
            .map_err(|_| Error::Data("the schema has no date column".into()))?;
        let mut fields = schema.fields().to_vec();
        fields.remove(date_index);
        Ok(RunWriter {
            run,
            staging,
            date_index,
            file_schema: Arc::new(arrow::datatypes::Schema::new(fields)),
            open: BTreeMap::new(),
            files: Vec::new(),
            next_file: 0,
            rows_written: 0,
            handed_over: 0,
        })
    }

    /// Commits a finished run, which replaces the runs `replaces`: its files are synced and moved into place, where no reader
    /// sees them yet (readers read the files manifests name: `sql::committed`); then its
    /// manifest is written, the commit point that shows them all at once. The list of files is
    /// kept in staging until then, so that a run interrupted before its commit is undone.
    pub fn commit(
        &self,
        w: RunWriter,
        inputs: Vec<IngestedInput>,
        unread: Vec<Unread>,
        replaces: Vec<String>,
    ) -> Result<Manifest> {
        // A run whose files cannot be finished (a full disk at its last row group) is dropped
        // as an aborted one is: nothing of it is in place yet.
        let dir = w.staging.clone();
        let (run, files) = w.close().inspect_err(|_| {
            let _ = fs::remove_dir_all(&dir);
        })?;
        let staging = self.staging_dir(&run);
        let list = serde_json::to_vec(&files).map_err(|e| Error::Data(e.to_string()))?;
        write_synced(&staging.join(PENDING), &list)?;
        self.move_in(&run, &files)?;
        let manifest = Manifest {
            run: run.clone(),
            inputs,
            files,
            replaces,
            unread,
        };
        let body = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Data(e.to_string()))?;
        let tmp = staging.join("manifest.json");
        write_synced(&tmp, &body)?;
        let dest = self.commits_dir().join(format!("{run}.json"));
        io(&dest, fs::rename(&tmp, &dest))?;
        sync_dir(&self.commits_dir());
        self.apply_replacements(&manifest)?;
        io(&staging, fs::remove_dir_all(&staging))?;
        Ok(manifest)
    }

    /// Drops an unfinished run's files.
    pub fn abort(&self, w: RunWriter) {
        let _ = fs::remove_dir_all(&w.staging);
    }
}

/// Committed manifests of the dataset at `root`, oldest first.
pub fn read_manifests(root: &Path) -> Result<Vec<Manifest>> {
    let dir = root.join(META).join("commits");
    let mut paths: Vec<PathBuf> = io(&dir, fs::read_dir(&dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let body = io(p, fs::read(p))?;
            serde_json::from_slice(&body)
                .map_err(|e| Error::input(p, format!("damaged manifest: {e}")))
        })
        .collect()
}

/// The file in a run's staging directory (prefix) that lists the files it moves or uploads into
/// place before its commit.
pub const PENDING: &str = "pending.json";

fn write_synced(path: &Path, body: &[u8]) -> Result<()> {
    io(path, fs::write(path, body))?;
    io(path, File::open(path).and_then(|f| f.sync_all()))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) {
    // Best effort: directory fsync makes the rename durable on Linux; elsewhere it may fail.
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// A name no other run has: the time to the nanosecond and this process's id.
pub(crate) fn run_id() -> String {
    let now = chrono::Utc::now();
    format!(
        "{}-{:09}-{}",
        now.format("%Y%m%dT%H%M%S"),
        now.timestamp_subsec_nanos(),
        std::process::id()
    )
}

/// Rows per row group: large enough for good compression and statistics, small enough that
/// a writer's buffer stays modest.
const ROW_GROUP_ROWS: usize = 256 * 1024;
/// A partition file is closed and a new one started after this many rows.
const FILE_ROWS: usize = 8 * 1024 * 1024;
/// When the open row groups of all files together hold more rows than this, the biggest one is
/// handed to the encoders early.
const BUFFER_ROWS: usize = 4 * ROW_GROUP_ROWS;
/// The shortest average run of one day's records in a batch that [`RunWriter::write`] writes as
/// slices: each slice costs the encoders a call per column, which a thousand rows amortise.
const SLICED_RUN_ROWS: usize = 1024;
/// Row groups being encoded at once, beside the ones filling. Each holds its rows and its
/// encoders' state (about 100 MB for a full row group of flow logs); one is enough to keep the
/// cores busy, as its columns are encoded in parallel while the parser fills the next.
const ENCODING: usize = 1;

/// The column chunks of one encoded row group, in the file's column order.
type Encoded = parquet::errors::Result<Vec<ArrowColumnChunk>>;

/// A row group handed to the encoding pool: its place in the run's order of hand-overs, and
/// where its column chunks come back.
struct Encoding {
    seq: u64,
    done: Receiver<Encoded>,
}

/// One partition file being written. Its rows are gathered into row groups; each full row
/// group is encoded on the rayon pool (its columns in parallel) while the next one fills and
/// the parser goes on, and encoded row groups are appended to the file in order. Encoding
/// batch by batch, with every core waiting for the slowest column of each batch, left a core
/// idle for a fifth of an ingest.
struct PartFile {
    rel: String,
    writer: SerializedFileWriter<File>,
    factory: ArrowRowGroupWriterFactory,
    fields: Fields,
    /// Rows of the open row group, not encoded yet.
    group: Vec<RecordBatch>,
    group_rows: usize,
    /// Row groups being encoded, oldest first.
    encoding: VecDeque<Encoding>,
    row_groups: usize,
    rows: usize,
}

impl PartFile {
    fn create(path: &Path, rel: String, schema: SchemaRef) -> Result<PartFile> {
        let file = io(path, File::create(path))?;
        // The Arrow writer embeds the Arrow schema (exact types for readers) in the file.
        let (writer, factory) = written(
            path,
            ArrowWriter::try_new(file, schema.clone(), Some(properties()?))
                .and_then(ArrowWriter::into_serialized_writer),
        )?;
        Ok(PartFile {
            rel,
            writer,
            factory,
            fields: schema.fields().clone(),
            group: Vec::new(),
            group_rows: 0,
            encoding: VecDeque::new(),
            row_groups: 0,
            rows: 0,
        })
    }

    /// Adds a batch's rows; a row group is handed over at [`ROW_GROUP_ROWS`], as number `seq`.
    fn write(&mut self, batch: &RecordBatch, seq: &mut u64) -> parquet::errors::Result<()> {
        let mut at = 0;
        while at < batch.num_rows() {
            let n = (ROW_GROUP_ROWS - self.group_rows).min(batch.num_rows() - at);
            self.group.push(tight(&batch.slice(at, n))?);
            self.group_rows += n;
            self.rows += n;
            at += n;
            if self.group_rows >= ROW_GROUP_ROWS {
                self.hand_over(seq)?;
            }
        }
        Ok(())
    }

    /// Hands the open row group to the encoding pool.
    fn hand_over(&mut self, seq: &mut u64) -> parquet::errors::Result<()> {
        if self.group_rows == 0 {
            return Ok(());
        }
        let writers = self.factory.create_column_writers(self.row_groups)?;
        if writers.len() != self.fields.len() {
            return Err(parquet::errors::ParquetError::General(
                "nested columns are not written".into(),
            ));
        }
        self.row_groups += 1;
        self.group_rows = 0;
        let batches = std::mem::take(&mut self.group);
        let fields = self.fields.clone();
        let (tx, done) = std::sync::mpsc::sync_channel(1);
        rayon::spawn(move || {
            let encoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                encode(writers, &fields, &batches)
            }))
            .unwrap_or_else(|_| {
                Err(parquet::errors::ParquetError::General(
                    "encoding a row group failed".into(),
                ))
            });
            // The writer may be gone (a run given up): then nobody wants the result.
            let _ = tx.send(encoded);
        });
        self.encoding.push_back(Encoding { seq: *seq, done });
        *seq += 1;
        Ok(())
    }

    /// Appends the oldest row group being encoded to the file once it is ready; `wait` waits
    /// for it. Whether one was appended.
    fn append_next(&mut self, wait: bool) -> parquet::errors::Result<bool> {
        let Some(next) = self.encoding.front() else {
            return Ok(false);
        };
        let chunks = if wait {
            next.done.recv().ok()
        } else {
            match next.done.try_recv() {
                Err(std::sync::mpsc::TryRecvError::Empty) => return Ok(false),
                r => r.ok(),
            }
        };
        self.encoding.pop_front();
        let chunks = chunks.ok_or_else(|| {
            parquet::errors::ParquetError::General("a row group's encoder stopped".into())
        })??;
        let mut row_group = self.writer.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        Ok(true)
    }

    /// Hands over the last row group, appends every row group, and writes the footer.
    fn finish(&mut self, seq: &mut u64) -> parquet::errors::Result<()> {
        self.hand_over(seq)?;
        while self.append_next(true)? {}
        self.writer.finish().map(|_| ())
    }
}

/// The batch with every column that holds more than twice the memory its values need copied
/// into buffers of their size. A row group's batches are kept until it is encoded, and a slice
/// keeps all of its batch's buffers (a batch cut where a row group ends is kept whole twice).
/// Columns of nulls only are shared between batches and left alone.
fn tight(batch: &RecordBatch) -> parquet::errors::Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .map(|array| {
            let data = array.to_data();
            if array.null_count() == array.len()
                || array.get_buffer_memory_size() <= 2 * data.get_slice_memory_size()?
            {
                return Ok(array.clone());
            }
            let mut copy = MutableArrayData::new(vec![&data], false, data.len());
            copy.try_extend(0, 0, data.len())?;
            Ok(make_array(copy.freeze()))
        })
        .collect::<parquet::errors::Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// Encodes one row group: each column (one leaf: the schema is flat) over all the batches.
fn encode(writers: Vec<ArrowColumnWriter>, fields: &Fields, batches: &[RecordBatch]) -> Encoded {
    writers
        .into_par_iter()
        .zip(fields.par_iter())
        .enumerate()
        .map(|(i, (mut writer, field))| {
            for batch in batches {
                for leaf in compute_leaves(field, batch.column(i))? {
                    writer.write(&leaf)?;
                }
            }
            writer.close()
        })
        .collect()
}

/// Writes one run's batches into per-date Parquet files in staging.
pub struct RunWriter {
    run: String,
    staging: PathBuf,
    date_index: usize,
    file_schema: SchemaRef,
    open: BTreeMap<Option<i32>, PartFile>,
    files: Vec<String>,
    next_file: usize,
    rows_written: u64,
    /// Row groups handed to the encoders so far.
    handed_over: u64,
}

/// Distinct ENIs a row group's `interface_id` bloom filter is sized for: 8 KiB per row group
/// at the default 5% false positives.
const BLOOM_ENIS: u64 = 10_000;

fn properties() -> Result<WriterProperties> {
    // Level 1 ("fast") encoded the 5M-record bench file 0.3 s faster than 3 and no larger.
    let level = ZstdLevel::try_new(1)?;
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        // `WHERE interface_id = '...'` skips row groups that never saw the ENI.
        .set_column_bloom_filter_enabled(ColumnPath::from("interface_id"), true)
        .set_column_bloom_filter_max_ndv(ColumnPath::from("interface_id"), BLOOM_ENIS)
        // Packet and byte counts hardly repeat: a dictionary of them is hashing for nothing.
        .set_column_dictionary_enabled(ColumnPath::from("packets"), false)
        .set_column_dictionary_enabled(ColumnPath::from("bytes"), false)
        // Nor do ports on the client's side; zstd packs the service's side well without one:
        // without a dictionary the bench estates' datasets were 6-7% smaller, and a gzip tree of
        // five million synthetic records 1% smaller and cheaper to ingest.
        .set_column_dictionary_enabled(ColumnPath::from("srcport"), false)
        .set_column_dictionary_enabled(ColumnPath::from("dstport"), false)
        // Times come in near order, which zstd packs better than dictionary codes: without a
        // dictionary both bench estates' datasets were 9% smaller, and ingests 8% cheaper.
        .set_column_dictionary_enabled(ColumnPath::from("start"), false)
        .set_column_dictionary_enabled(ColumnPath::from("end"), false)
        .build())
}

/// The partition value of records without a date (no `start`): Hive's name for a null
/// partition value, which DuckDB, pyarrow, Spark and Athena read as null.
pub const UNKNOWN_DATE: &str = "__HIVE_DEFAULT_PARTITION__";

/// The partition directory name of a date (days since the epoch), or of no date.
pub fn partition_name(days: Option<i32>) -> String {
    let date = days
        .and_then(|d| chrono::DateTime::from_timestamp(i64::from(d) * 86_400, 0))
        .map_or_else(
            || UNKNOWN_DATE.to_string(),
            |t| t.format("%Y-%m-%d").to_string(),
        );
    format!("{DATE_COLUMN}={date}")
}

impl RunWriter {
    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows_written
    }

    /// Writes a batch, splitting it by date. Records of one day usually come in long runs (an
    /// object crossing midnight): each run is written as a slice of the batch, without a copy.
    /// Only when the runs are short (under a thousand rows on average) is the batch
    /// copied, once per day, into a batch of that day's rows.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let column = batch.column(self.date_index);
        let dates = column.as_primitive::<Date32Type>();
        let day = |row: usize| dates.is_valid(row).then(|| dates.value(row));
        // The runs of one day (NULL included), in order.
        let runs = partition(std::slice::from_ref(column))?.ranges();
        if runs.len() * SLICED_RUN_ROWS <= batch.num_rows().max(SLICED_RUN_ROWS) {
            for run in runs {
                self.write_part(day(run.start), &batch.slice(run.start, run.len()))?;
            }
            return Ok(());
        }
        let days: BTreeSet<Option<i32>> = runs.iter().map(|run| day(run.start)).collect();
        for day in days {
            let mask = match day {
                Some(day) => eq(dates, &Date32Array::new_scalar(day))?,
                None => is_null(dates)?,
            };
            let part = filter_record_batch(batch, &mask)?;
            self.write_part(day, &part)?;
        }
        Ok(())
    }

    fn write_part(&mut self, day: Option<i32>, batch: &RecordBatch) -> Result<()> {
        let mut columns = batch.columns().to_vec();
        columns.remove(self.date_index);
        let batch = RecordBatch::try_new(self.file_schema.clone(), columns)?;
        if !self.open.contains_key(&day) {
            let rel = format!(
                "{FLOWS_DIR}/{}/part-{}-{:05}.parquet",
                partition_name(day),
                self.run,
                self.next_file
            );
            self.next_file += 1;
            let path = self.staging.join(&rel);
            if let Some(dir) = path.parent() {
                io(dir, fs::create_dir_all(dir))?;
            }
            let part = PartFile::create(&path, rel, self.file_schema.clone())?;
            self.open.insert(day, part);
        }
        if let Some(part) = self.open.get_mut(&day) {
            let path = self.staging.join(&part.rel);
            written(&path, part.write(&batch, &mut self.handed_over))?;
            self.rows_written += batch.num_rows() as u64;
            if part.rows >= FILE_ROWS
                && let Some(part) = self.open.remove(&day)
            {
                self.finish_file(part)?;
            }
        }
        self.keep_bounds()
    }

    /// Appends the row groups that are encoded; then keeps memory bounded: at most
    /// [`ENCODING`] row groups being encoded, waiting for the oldest, and at most
    /// [`BUFFER_ROWS`] rows gathered, handing the biggest open row group over early.
    fn keep_bounds(&mut self) -> Result<()> {
        for p in self.open.values_mut() {
            while written(&self.staging.join(&p.rel), p.append_next(false))? {}
        }
        while self.open.values().map(|p| p.encoding.len()).sum::<usize>() > ENCODING {
            let oldest = self
                .open
                .values_mut()
                .filter_map(|p| p.encoding.front().map(|e| e.seq).zip(Some(p)))
                .min_by_key(|(seq, _)| *seq);
            if let Some((_, p)) = oldest {
                written(&self.staging.join(&p.rel), p.append_next(true))?;
            }
        }
        let gathered: usize = self.open.values().map(|p| p.group_rows).sum();
        if gathered > BUFFER_ROWS
            && let Some(p) = self.open.values_mut().max_by_key(|p| p.group_rows)
        {
            written(
                &self.staging.join(&p.rel),
                p.hand_over(&mut self.handed_over),
            )?;
        }
        Ok(())
    }

    fn finish_file(&mut self, mut part: PartFile) -> Result<()> {
        let path = self.staging.join(&part.rel);
        written(&path, part.finish(&mut self.handed_over))?;
        io(&path, part.writer.inner().sync_all())?;
        self.files.push(part.rel);
        Ok(())
    }

    fn close(mut self) -> Result<(String, Vec<String>)> {
        let open = std::mem::take(&mut self.open);
        for (_, part) in open {
            self.finish_file(part)?;
        }
        self.files.sort();
        Ok((self.run, self.files))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, AsArray, Date32Array, RecordBatch, TimestampSecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit, TimestampSecondType};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::{BUFFER_ROWS, DATE_COLUMN, Dataset, Manifest, ROW_GROUP_ROWS};

    /// Writes batches of a column and the date, as one committed run.
    fn commit_run(
        ds: &Dataset,
        schema: &arrow::datatypes::SchemaRef,
        batches: impl Iterator<Item = (arrow::array::ArrayRef, Date32Array)>,
    ) -> Manifest {
        let mut w = ds.writer(schema.clone()).expect("writer");
        for (first, date) in batches {
            let batch =
                RecordBatch::try_new(schema.clone(), vec![first, Arc::new(date)]).expect("batch");
            w.write(&batch).expect("write");
        }
        ds.commit(w, Vec::new(), Vec::new(), Vec::new())
            .expect("commit")
    }

    /// The schema of rows numbered `n`, with their date.
    fn numbered_by_date() -> arrow::datatypes::SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new(DATE_COLUMN, DataType::Date32, true),
        ]))
    }

    /// The row groups of a Parquet file, by rows, and the values of its first (Int64) column.
    fn groups_and_values(path: &std::path::Path) -> (Vec<i64>, Vec<i64>) {
        let file = std::fs::File::open(path).expect("file");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
        let groups = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let mut values = Vec::new();
        for batch in reader.build().expect("reader") {
            let batch = batch.expect("batch");
            let column = batch
                .column(0)
                .as_primitive::<arrow::datatypes::Int64Type>();
            values.extend(column.values().iter().copied());
        }
        (groups, values)
    }

    /// Six dates interleaved row by row, each with fewer rows than a row group but together
    /// more than the writers may gather: open row groups are handed over early (a file of
    /// several row groups), and each date's file still holds exactly its rows, in order.
    #[test]
    fn interleaved_dates_keep_their_rows_in_order_within_the_gathering_bound() {
        let dir = tempfile::tempdir().expect("tmp");
        let ds = Dataset::open(dir.path()).expect("dataset");
        let schema = numbered_by_date();
        let (dates, per_date) = (6i64, 200_000i64);
        assert!(per_date < ROW_GROUP_ROWS as i64 && dates * per_date > BUFFER_ROWS as i64);
        let (total, per) = (dates * per_date, 100_000i64);
        let batches = (0..total).step_by(per as usize).map(|first| {
            let rows = first..first + per;
            let n = arrow::array::Int64Array::from_iter_values(rows.clone());
            let date = Date32Array::from_iter_values(rows.map(|i| 20_000 + (i % dates) as i32));
            (Arc::new(n) as arrow::array::ArrayRef, date)
        });
        let m = commit_run(&ds, &schema, batches);
        assert_eq!(m.files.len(), dates as usize);
        let mut split = 0;
        for (day, rel) in m.files.iter().enumerate() {
            let (groups, values) = groups_and_values(&dir.path().join(rel));
            let want: Vec<i64> = (0..total).filter(|i| i % dates == day as i64).collect();
            assert_eq!(values, want, "{rel}");
            split += usize::from(groups.len() > 1);
        }
        assert!(split > 0, "no row group was handed over early");
    }

    /// Dates in runs of 3,000 rows, a run without a date among them, and a batch whose runs
    /// are short: each date's file (and the one of no date) holds exactly its rows, in order,
    /// whether the batch was written as slices or copied day by day.
    #[test]
    fn runs_of_dates_go_to_their_files_in_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let ds = Dataset::open(dir.path()).expect("dataset");
        let schema = numbered_by_date();
        // Rows 0-29,999 in runs of 3,000 (days 0, 1, none, 0, 1, none, ...); rows 30,000-30,999
        // alternating every 10 rows between days 0 and 1.
        let day_of = |i: i64| match i {
            0..30_000 => [Some(0), Some(1), None][(i / 3_000 % 3) as usize],
            _ => Some((i / 10 % 2) as i32),
        };
        let batches = [0..15_000i64, 15_000..30_000, 30_000..31_000].map(|rows| {
            let n = arrow::array::Int64Array::from_iter_values(rows.clone());
            let date: Date32Array = rows.map(|i| day_of(i).map(|d| 20_000 + d)).collect();
            (Arc::new(n) as arrow::array::ArrayRef, date)
        });
        let m = commit_run(&ds, &schema, batches.into_iter());
        assert_eq!(m.files.len(), 3, "{:?}", m.files);
        for rel in &m.files {
            let (_, values) = groups_and_values(&dir.path().join(rel));
            let day = day_of(values[0]);
            let want: Vec<i64> = (0..31_000).filter(|&i| day_of(i) == day).collect();
            assert_eq!(values, want, "{rel}");
            let partition = super::partition_name(day.map(|d| 20_000 + d));
            assert!(rel.contains(&partition), "{rel} is not in {partition}");
        }
    }

    /// 600,000 rows in batches of 200,000: row groups of exactly ROW_GROUP_ROWS rows and the
    /// rest, every value back in order, and the Arrow type (seconds, which Parquet lacks) read
    /// back from the file's own schema.
    #[test]
    fn parallel_encoding_keeps_row_groups_values_and_types() {
        let dir = tempfile::tempdir().expect("tmp");
        let ds = Dataset::open(dir.path()).expect("dataset");
        let time = DataType::Timestamp(TimeUnit::Second, Some("UTC".into()));
        let schema = Arc::new(Schema::new(vec![
            Field::new("start", time.clone(), true),
            Field::new(DATE_COLUMN, DataType::Date32, true),
        ]));
        let (total, per) = (600_000i64, 200_000i64);
        let batches = (0..total).step_by(per as usize).map(|first| {
            let start: TimestampSecondArray = (first..first + per)
                .map(|i| if i % 7 == 0 { None } else { Some(i) })
                .collect::<TimestampSecondArray>()
                .with_timezone("UTC");
            let date = Date32Array::from(vec![20_000; per as usize]);
            (Arc::new(start) as arrow::array::ArrayRef, date)
        });
        let m = commit_run(&ds, &schema, batches);
        assert_eq!(m.files.len(), 1);
        let file = std::fs::File::open(dir.path().join(&m.files[0])).expect("file");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
        let groups: Vec<i64> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let full = ROW_GROUP_ROWS as i64;
        assert_eq!(groups, [full, full, total - 2 * full]);
        assert_eq!(reader.schema().field(0).data_type(), &time);
        let mut next = 0i64;
        for batch in reader.build().expect("reader") {
            let batch = batch.expect("batch");
            let start = batch.column(0).as_primitive::<TimestampSecondType>();
            for row in 0..batch.num_rows() {
                let want = (next % 7 != 0).then_some(next);
                assert_eq!(start.is_valid(row).then(|| start.value(row)), want);
                next += 1;
            }
        }
        assert_eq!(next, total);
    }
}
