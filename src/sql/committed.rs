//! Readers see whole runs only: the `flows` table of an ingested dataset lists the files its
//! committed manifests name, never a bare directory or prefix listing.
//!
//! A reader fixes its view when it opens the dataset: the latest committed run, `UPTO`. Its
//! table is then over the virtual prefix `ROOT/_vpcflow/view/UPTO/flows/`, and [`Committed`],
//! an object store wrapped around the real one, answers for it: a listing there is the
//! listing of `ROOT/flows/` kept to the files of the runs up to `UPTO` that no run up to it
//! replaces (read from `ROOT/_vpcflow/commits/`), and a read there reads the real object. A
//! run whose files are being moved or copied into place, or whose commit comes after the view
//! was fixed, is not in it; one that committed before is in it whole.
//!
//! The view travels as a path, so a Ballista scheduler or executor whose object stores are
//! wrapped the same way (`cluster::stores`) sees exactly the files the client saw.
//! Every other path passes through untouched.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::path::{Path, PathPart};
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

use crate::ingest::remote::commits::{self, failure};
use crate::ingest::sink::{self, FLOWS_DIR, META};

/// The folder of `_vpcflow/` under which a reader's views are named (no object is stored there).
const VIEW: &str = "view";
/// The view of a dataset with no committed run.
const NOTHING: &str = "0";

/// An object store that answers for the views of the datasets it holds (see the module's text).
#[derive(Debug)]
pub struct Committed {
    inner: Arc<dyn ObjectStore>,
    /// Names the store in the cache of views: its URL's scheme and host.
    name: String,
}

impl fmt::Display for Committed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Committed({})", self.inner)
    }
}

/// A location inside a view: the dataset's root, the view's latest run, and the rest (the path
/// under the root that the location stands for); each as the encoded text of object paths.
struct InView {
    root: String,
    upto: String,
    rest: String,
}

/// Joins encoded path texts, skipping empty ones.
fn joined<'a>(parts: impl IntoIterator<Item = &'a str>) -> Path {
    let text: Vec<&str> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    Path::parse(text.join("/")).unwrap_or_default()
}

impl InView {
    fn of(location: &Path) -> Option<InView> {
        let text = location.as_ref();
        let marker = format!("{META}/{VIEW}/");
        let (root, after) = if let Some(after) = text.strip_prefix(&marker) {
            ("", after)
        } else {
            let at = text.find(&format!("/{marker}"))?;
            (&text[..at], &text[at + marker.len() + 1..])
        };
        let (upto, rest) = after.split_once('/').unwrap_or((after, ""));
        Some(InView {
            root: root.to_string(),
            upto: upto.to_string(),
            rest: rest.to_string(),
        })
    }

    /// The real location the view's location stands for.
    fn real(&self) -> Path {
        joined([self.root.as_str(), &self.rest])
    }

    fn root(&self) -> Path {
        joined([self.root.as_str()])
    }

    /// The path of a real location under the root, relative to it, as manifests name files.
    fn relative<'a>(&self, real: &'a Path) -> &'a str {
        let text = real.as_ref();
        if self.root.is_empty() {
            return text;
        }
        text.strip_prefix(self.root.as_str())
            .and_then(|t| t.strip_prefix('/'))
            .unwrap_or(text)
    }

    /// The view's location of a real location under the root.
    fn virtual_of(&self, real: &Path) -> Path {
        joined([
            self.root.as_str(),
            META,
            VIEW,
            &self.upto,
            self.relative(real),
        ])
    }
}

/// The prefix of the view of the dataset at `root` (an object path) as of the run `upto`.
pub fn view_prefix(root: &Path, upto: Option<&str>) -> Path {
    let view = [META, VIEW, upto.unwrap_or(NOTHING), FLOWS_DIR].map(PathPart::from);
    Path::from_iter(root.parts().chain(view))
}

type Views = Mutex<HashMap<String, Arc<BTreeSet<String>>>>;

/// Views already read, by store, root, run and the runs committed when it was read (a run whose
/// clock ran behind can commit under an earlier name): each is read once.
static VIEWS: LazyLock<Views> = LazyLock::new(Mutex::default);
/// Beyond this many views the cache starts again (a long-lived scheduler sees many).
const MAX_VIEWS: usize = 256;

impl Committed {
    /// Wraps `inner`, whose URL's scheme and host are `name`.
    pub fn new(inner: Arc<dyn ObjectStore>, name: &str) -> Committed {
        Committed {
            inner,
            name: name.to_string(),
        }
    }

    /// The files of the view `at` stands in, relative to its root.
    async fn files(&self, at: &InView) -> object_store::Result<Arc<BTreeSet<String>>> {
        let root = at.root();
        let runs = commits::runs(self.inner.as_ref(), &root).await?;
        let key = format!("{}/{root}@{}:{}", self.name, at.upto, runs.join(","));
        if let Some(found) = VIEWS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(found.clone());
        }
        let all = commits::read(self.inner.as_ref(), &root, &runs).await?;
        let files = Arc::new(sink::visible_files(&all, &at.upto).map_err(|run| {
            failure(format!(
                "{}: run {run} replaced runs of this query's view (ingest --force) while it \
                 opened the dataset; run the query again",
                at.root()
            ))
        })?);
        let mut views = VIEWS.lock().unwrap_or_else(PoisonError::into_inner);
        if views.len() >= MAX_VIEWS {
            views.clear();
        }
        views.insert(key, files.clone());
        Ok(files)
    }

    fn real(location: &Path) -> Path {
        InView::of(location).map_or_else(|| location.clone(), |v| v.real())
    }
}

#[async_trait]
impl ObjectStore for Committed {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner
            .put_opts(&Self::real(location), payload, opts)
            .await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner
            .put_multipart_opts(&Self::real(location), opts)
            .await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        let Some(at) = InView::of(location) else {
            return self.inner.get_opts(location, options).await;
        };
        let mut found = self.inner.get_opts(&at.real(), options).await?;
        found.meta.location = location.clone();
        Ok(found)
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner
            .delete_stream(locations.map_ok(|l| Self::real(&l)).boxed())
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let Some(at) = prefix.and_then(InView::of) else {
            return self.inner.list(prefix);
        };
        let inner = self.inner.clone();
        let view = Committed::new(inner.clone(), &self.name);
        stream::once(async move {
            let files = view.files(&at).await?;
            let listed = inner
                .list(Some(&at.real()))
                .try_filter_map(move |mut meta| {
                    let keep = files.contains(at.relative(&meta.location));
                    meta.location = at.virtual_of(&meta.location);
                    futures::future::ready(Ok(keep.then_some(meta)))
                });
            Ok::<_, object_store::Error>(listed)
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        let Some(at) = prefix.and_then(InView::of) else {
            return self.inner.list_with_delimiter(prefix).await;
        };
        let files = self.files(&at).await?;
        let listed = self.inner.list_with_delimiter(Some(&at.real())).await?;
        let objects = listed
            .objects
            .into_iter()
            .filter(|o| files.contains(at.relative(&o.location)))
            .map(|mut o| {
                o.location = at.virtual_of(&o.location);
                o
            })
            .collect();
        let common_prefixes = listed
            .common_prefixes
            .iter()
            .map(|p| at.virtual_of(p))
            .collect();
        Ok(ListResult {
            common_prefixes,
            objects,
        })
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner
            .copy_opts(&Self::real(from), &Self::real(to), options)
            .await
    }
}
