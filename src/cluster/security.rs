//! Securing a cluster's connections: mutual TLS with the cluster's own certificate authority,
//! and a shared secret checked on every request.
//!
//! Every connection of a cluster is gRPC over HTTP/2: client to scheduler, executor to
//! scheduler (registration, heartbeats, polling for tasks), and the Arrow Flight fetches of
//! shuffle data and results from executors. With TLS, each end shows a certificate signed by
//! the cluster's CA (`--tls-ca`) and refuses a peer without one; servers are checked against
//! the name [`SERVER_NAME`], whatever address they are reached at, so one set of certificates
//! serves every host. The secret travels in every request's `user-agent` header (the one
//! header Ballista lets vpcflow set on all of its connections) and servers refuse requests
//! without it. With either, executors poll the scheduler for tasks (Ballista's pull mode),
//! so no executor port takes tasks unauthenticated. A secret alone is not encrypted: nodes
//! listen beyond the machine only with TLS (or `--insecure`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ballista_core::extension::EndpointOverrideFn;
use http::{HeaderValue, Request, Response};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig};

use crate::error::{Error, Result};

/// The name every node's certificate carries and every connection checks.
pub const SERVER_NAME: &str = "vpcflow-cluster";

/// The environment variable that may hold the shared secret itself.
pub const SECRET_VARIABLE: &str = "VPCFLOW_CLUSTER_SECRET";

/// The `user-agent` product that carries the secret.
const SECRET_PRODUCT: &str = "vpcflow-secret/";

/// Where a node's or a client's credentials are, as given on the command line.
#[derive(Clone, Default)]
pub struct SecurityOptions {
    /// This end's certificate (PEM), signed by the cluster's CA.
    pub cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub key: Option<PathBuf>,
    /// The cluster's CA certificate (PEM): peers must show a certificate it signed.
    pub ca: Option<PathBuf>,
    /// A file holding the shared secret.
    pub secret_file: Option<PathBuf>,
    /// The shared secret itself (from [`SECRET_VARIABLE`], never from the command line).
    pub secret: Option<String>,
}

impl fmt::Debug for SecurityOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityOptions")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("ca", &self.ca)
            .field("secret_file", &self.secret_file)
            .field("secret", &self.secret.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}

/// How one end of the cluster's connections is secured: TLS credentials, a shared secret,
/// both or neither.
#[derive(Clone, Default)]
pub struct Security {
    tls: Option<Tls>,
    secret: Option<Arc<str>>,
}

impl fmt::Debug for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Security")
            .field("tls", &self.tls.is_some())
            .field("secret", &self.secret.is_some())
            .finish()
    }
}

#[derive(Clone)]
struct Tls {
    cert: Vec<u8>,
    key: Vec<u8>,
    ca: Vec<u8>,
}

fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(Error::Usage(format!(
            "{}: not a PEM file (expected {what})",
            path.display()
        )));
    }
    Ok(bytes)
}

impl Security {
    /// Reads the credentials `options` names. The three TLS files go together; a secret file
    /// that is empty is an error, as is a secret given both ways.
    pub fn load(options: &SecurityOptions) -> Result<Security> {
        let tls = match (&options.cert, &options.key, &options.ca) {
            (None, None, None) => None,
            (Some(cert), Some(key), Some(ca)) => Some(Tls {
                cert: read_pem(cert, "a certificate")?,
                key: read_pem(key, "a private key")?,
                ca: read_pem(ca, "the cluster's CA certificate")?,
            }),
            _ => {
                return Err(Error::Usage(
                    "--tls-cert, --tls-key and --tls-ca go together: give all three".to_string(),
                ));
            }
        };
        let secret = match (&options.secret_file, &options.secret) {
            (Some(_), Some(_)) => {
                return Err(Error::Usage(format!(
                    "the cluster's secret is given twice: by --secret-file and by \
                     {SECRET_VARIABLE}; keep one"
                )));
            }
            (Some(path), None) => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                Some(checked_secret(text.trim(), &path.display().to_string())?)
            }
            (None, Some(value)) => Some(checked_secret(value.trim(), SECRET_VARIABLE)?),
            (None, None) => None,
        };
        Ok(Security {
            tls,
            secret: secret.map(Arc::from),
        })
    }

    /// Whether anything secures the connections.
    pub fn is_on(&self) -> bool {
        self.tls.is_some() || self.secret.is_some()
    }

    /// Whether connections use TLS.
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// What secures the connections, for a node's start-up line.
    pub fn describe(&self) -> &'static str {
        match (self.tls.is_some(), self.secret.is_some()) {
            (true, true) => "mutual TLS and a shared secret",
            (true, false) => "mutual TLS",
            (false, true) => "a shared secret (unencrypted)",
            (false, false) => "nothing (insecure)",
        }
    }

    /// The endpoint of every outgoing connection, rebuilt for TLS (`https`, this end's
    /// certificate, the cluster's CA, [`SERVER_NAME`]) and carrying the secret; `None` when
    /// nothing secures the cluster.
    pub fn endpoint_override(&self) -> Option<EndpointOverrideFn> {
        if !self.is_on() {
            return None;
        }
        let security = self.clone();
        Some(Arc::new(move |endpoint: Endpoint| {
            security
                .secure(endpoint)
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        }))
    }

    fn secure(&self, endpoint: Endpoint) -> std::result::Result<Endpoint, tonic::transport::Error> {
        let mut endpoint = match &self.tls {
            None => endpoint,
            Some(tls) => {
                let tls_config = ClientTlsConfig::new()
                    .domain_name(SERVER_NAME)
                    .ca_certificate(Certificate::from_pem(&tls.ca))
                    .identity(Identity::from_pem(&tls.cert, &tls.key));
                let uri = endpoint.uri();
                if uri.scheme_str() == Some("https") {
                    // Flight fetches (`use_tls`): keep Ballista's windows and timeouts.
                    endpoint.tls_config(tls_config)?
                } else {
                    // Ballista writes `http://` for the scheduler; tonic would not use TLS.
                    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
                    Endpoint::from_shared(format!("https://{authority}"))?
                        .connect_timeout(Duration::from_secs(20))
                        .tcp_nodelay(true)
                        .tcp_keepalive(Some(Duration::from_secs(60)))
                        .http2_keep_alive_interval(Duration::from_secs(30))
                        .keep_alive_timeout(Duration::from_secs(20))
                        .keep_alive_while_idle(true)
                        .tls_config(tls_config)?
                }
            }
        };
        if let Some(secret) = &self.secret {
            endpoint = endpoint.user_agent(format!("{SECRET_PRODUCT}{secret}"))?;
        }
        Ok(endpoint)
    }

    /// The TLS configuration of a server: its certificate, the CA its clients' certificates
    /// must be signed by (a client without one is refused), and a bound on the handshake.
    pub fn server_tls(&self) -> Option<ServerTlsConfig> {
        self.tls.as_ref().map(|tls| {
            ServerTlsConfig::new()
                .identity(Identity::from_pem(&tls.cert, &tls.key))
                .client_ca_root(Certificate::from_pem(&tls.ca))
                .timeout(Duration::from_secs(10))
        })
    }

    /// Whether a request carries the secret (always, when there is none).
    fn admits<B>(&self, request: &Request<B>) -> bool {
        let Some(secret) = &self.secret else {
            return true;
        };
        let agent = request
            .headers()
            .get(http::header::USER_AGENT)
            .map(HeaderValue::as_bytes)
            .unwrap_or_default();
        agent
            .split(|b| *b == b' ')
            .filter_map(|product| product.strip_prefix(SECRET_PRODUCT.as_bytes()))
            .any(|given| same_bytes(given, secret.as_bytes()))
    }

    /// The layer of a server that refuses requests without the secret (with gRPC's
    /// `UNAUTHENTICATED`).
    pub fn secret_layer(
        &self,
    ) -> tower_http::validate_request::ValidateRequestHeaderLayer<SecretCheck> {
        tower_http::validate_request::ValidateRequestHeaderLayer::custom(SecretCheck(self.clone()))
    }

    /// An HTTP client that reaches a node of the cluster as its gRPC clients do (TLS with
    /// this end's certificate, the secret), for plain requests such as the scheduler's
    /// `/readyz`; and the URL of `address` (`HOST:PORT`) for it.
    pub async fn http_client(&self, address: &str) -> Result<(reqwest::Client, String)> {
        let failed = |e: reqwest::Error| Error::Data(format!("cluster: HTTP client: {e}"));
        // Straight to the node: a proxy would be one more party to the secret.
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .no_proxy();
        if let Some(secret) = &self.secret {
            // A secured node's server speaks HTTP/2 only.
            builder = builder
                .user_agent(format!("{SECRET_PRODUCT}{secret}"))
                .http2_prior_knowledge();
        }
        let Some(tls) = &self.tls else {
            return Ok((
                builder.build().map_err(failed)?,
                format!("http://{address}"),
            ));
        };
        let mut pem = tls.cert.clone();
        pem.push(b'\n');
        pem.extend_from_slice(&tls.key);
        // The scheduler is checked against the cluster's name, whatever its address.
        let socket = tokio::net::lookup_host(address)
            .await
            .map_err(|e| Error::Data(format!("cluster: {address}: {e}")))?
            .next()
            .ok_or_else(|| Error::Data(format!("cluster: {address}: no address")))?;
        let port = socket.port();
        let client = builder
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&tls.ca).map_err(failed)?)
            .identity(reqwest::Identity::from_pem(&pem).map_err(failed)?)
            .resolve(SERVER_NAME, socket)
            .http2_prior_knowledge()
            .build()
            .map_err(failed)?;
        Ok((client, format!("https://{SERVER_NAME}:{port}")))
    }
}

/// Compares without stopping at the first difference.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn checked_secret(secret: &str, from: &str) -> Result<String> {
    if secret.len() < 16 {
        return Err(Error::Usage(format!(
            "the cluster's secret from {from} is {}: use at least 16 characters (e.g. \
             `openssl rand -hex 32`)",
            if secret.is_empty() {
                "empty".to_string()
            } else {
                "too short".to_string()
            }
        )));
    }
    if !secret.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Usage(format!(
            "the cluster's secret from {from} has spaces or characters other than printable \
             ASCII"
        )));
    }
    Ok(secret.to_string())
}

/// A server's check of the secret on each request.
#[derive(Clone)]
pub struct SecretCheck(Security);

impl<B> tower_http::validate_request::ValidateRequest<B> for SecretCheck {
    type ResponseBody = tonic::body::Body;

    fn validate(
        &mut self,
        request: &mut Request<B>,
    ) -> std::result::Result<(), Response<Self::ResponseBody>> {
        if self.0.admits(request) {
            return Ok(());
        }
        Err(tonic::Status::unauthenticated("the cluster's secret is missing or wrong").into_http())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secret(secret: &str) -> Security {
        Security::load(&SecurityOptions {
            secret: Some(secret.to_string()),
            ..Default::default()
        })
        .expect("a secret")
    }

    fn request(agent: Option<&str>) -> Request<()> {
        let mut r = Request::new(());
        if let Some(a) = agent {
            r.headers_mut().insert(
                http::header::USER_AGENT,
                HeaderValue::from_str(a).expect("header"),
            );
        }
        r
    }

    #[test]
    fn a_request_is_admitted_only_with_the_secret() {
        let s = with_secret("0123456789abcdef0123");
        assert!(s.admits(&request(Some(
            "vpcflow-secret/0123456789abcdef0123 tonic/0.14.9"
        ))));
        assert!(!s.admits(&request(Some(
            "vpcflow-secret/0123456789abcdef0124 tonic/0.14.9"
        ))));
        assert!(!s.admits(&request(Some("vpcflow-secret/0123456789abcdef012"))));
        assert!(!s.admits(&request(Some("tonic/0.14.9"))));
        assert!(!s.admits(&request(None)));
        assert!(Security::default().admits(&request(None)));
    }

    #[test]
    fn secrets_and_tls_files_are_checked_when_read() {
        let short = Security::load(&SecurityOptions {
            secret: Some("short".to_string()),
            ..Default::default()
        });
        assert!(short.is_err_and(|e| e.to_string().contains("at least 16 characters")));
        let partial = Security::load(&SecurityOptions {
            cert: Some(PathBuf::from("cert.pem")),
            ..Default::default()
        });
        assert!(partial.is_err_and(|e| e.to_string().contains("give all three")));
        let dir = tempfile::tempdir().expect("temp dir");
        let not_pem = dir.path().join("cert.pem");
        std::fs::write(&not_pem, "hello").expect("write");
        let wrong = Security::load(&SecurityOptions {
            cert: Some(not_pem.clone()),
            key: Some(not_pem.clone()),
            ca: Some(not_pem),
            ..Default::default()
        });
        assert!(wrong.is_err_and(|e| e.to_string().contains("not a PEM file")));
    }
}
