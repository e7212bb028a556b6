//! The commit log of a dataset in an object store: which runs are committed (the manifests
//! under `_vpcflow/commits/`) and what each holds. Readers fix their view from it
//! (`sql::committed`), an ingest into S3 reads it before it writes (`dataset`).

use futures::stream::{self, StreamExt, TryStreamExt};
use object_store::path::{Path, PathPart};
use object_store::{GetOptions, ObjectStore};

use crate::ingest::sink::{META, Manifest};

/// An object-store error of the dataset layer, saying `message`.
pub(crate) fn failure(message: String) -> object_store::Error {
    object_store::Error::Generic {
        store: "vpcflow dataset",
        source: message.into(),
    }
}

/// Manifests read at once.
const CONCURRENT_READS: usize = 16;

/// The runs committed to the dataset at `root`, by their manifests' names, oldest first.
pub async fn runs(store: &dyn ObjectStore, root: &Path) -> object_store::Result<Vec<String>> {
    let commits = Path::from_iter(root.parts().chain([META, "commits"].map(PathPart::from)));
    let listed = store.list_with_delimiter(Some(&commits)).await?;
    let mut runs: Vec<String> = listed
        .objects
        .iter()
        .filter_map(|o| {
            o.location
                .filename()?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .collect();
    runs.sort();
    Ok(runs)
}

/// The manifests of `runs` of the dataset at `root`, in that order, read concurrently.
pub async fn read(
    store: &dyn ObjectStore,
    root: &Path,
    runs: &[String],
) -> object_store::Result<Vec<Manifest>> {
    let read_one = |run: &String| {
        let key = Path::from_iter(
            root.parts()
                .chain([META, "commits"].map(PathPart::from))
                .chain([PathPart::from(format!("{run}.json"))]),
        );
        async move {
            let body = match store.get_opts(&key, GetOptions::default()).await {
                Ok(found) => found.bytes().await?,
                // Deleted since the listing: a later run replaced it (`ingest --force`).
                Err(object_store::Error::NotFound { .. }) => {
                    return Err(failure(format!(
                        "{key}: the dataset was rewritten (ingest --force) while this query \
                         opened it; run the query again"
                    )));
                }
                Err(e) => return Err(e),
            };
            serde_json::from_slice::<Manifest>(&body)
                .map_err(|e| failure(format!("{key}: not a vpcflow manifest: {e}")))
        }
    };
    stream::iter(runs)
        .map(read_one)
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await
}

/// The committed manifests of the dataset at `root`, oldest first.
pub async fn manifests(
    store: &dyn ObjectStore,
    root: &Path,
) -> object_store::Result<Vec<Manifest>> {
    let names = runs(store, root).await?;
    read(store, root, &names).await
}

/// The latest committed run of the dataset at `root` (one listing): the view a reader opening
/// it now takes.
pub async fn latest_run(
    store: &dyn ObjectStore,
    root: &Path,
) -> object_store::Result<Option<String>> {
    Ok(runs(store, root).await?.pop())
}
