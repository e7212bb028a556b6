//! The object stores of `s3://` datasets on a cluster: one client per bucket and process.
//!
//! The client process uses the store its command line built (`--profile`, `--region`,
//! `--endpoint-url`); a scheduler or executor builds one on first use from its own environment
//! (`AWS_*` variables, the shared `~/.aws/` files, instance or container credentials), the
//! same chain as every other `s3://` input ([`crate::ingest::remote::Connection`]). [`Registry`] hands
//! them to DataFusion, so a plan over `s3://` files runs on any node, each wrapped to answer for
//! the committed view of a dataset ([`crate::sql::committed`]) as the client's does.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use datafusion::error::DataFusionError;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use object_store::ObjectStore;
use url::Url;

use crate::error::Result;
use crate::ingest::remote::Connection;
use crate::sql::committed::Committed;

static STORES: LazyLock<Mutex<HashMap<String, Arc<dyn ObjectStore>>>> =
    LazyLock::new(Mutex::default);

/// Makes `store` the one this process uses for `bucket`.
pub fn remember(bucket: &str, store: Arc<dyn ObjectStore>) {
    STORES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(bucket.to_string(), store);
}

/// The store of `bucket`: the one remembered, else a new one from the environment.
pub fn bucket(bucket: &str) -> Result<Arc<dyn ObjectStore>> {
    let mut stores = STORES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = stores.get(bucket) {
        return Ok(found.clone());
    }
    let store = Connection::default().store(bucket)?;
    stores.insert(bucket.to_string(), store.clone());
    Ok(store)
}

/// DataFusion's registry of object stores, which also knows every `s3://` bucket.
#[derive(Debug, Default)]
pub struct Registry(DefaultObjectStoreRegistry);

impl ObjectStoreRegistry for Registry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.0.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.0.deregister_store(url)
    }

    /// The store of `url`, answering for the views of the datasets in it as the client's does.
    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        let name = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
        let store = match (url.scheme(), url.host_str()) {
            ("s3", Some(name)) => {
                bucket(name).map_err(|e| DataFusionError::Execution(format!("{url}: {e}")))?
            }
            _ => self.0.get_store(url)?,
        };
        Ok(Arc::new(Committed::new(store, &name)))
    }
}

/// A node's runtime: [`Registry`] for object stores, spill files under `temp` if given.
pub fn runtime(temp: Option<PathBuf>) -> datafusion::error::Result<Arc<RuntimeEnv>> {
    let mut builder =
        RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(Registry::default()));
    if let Some(dir) = temp {
        builder = builder.with_temp_file_path(dir);
    }
    builder.build_arc()
}
