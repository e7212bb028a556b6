//! `vpcflow cluster certs DIR`: a certificate authority for one cluster, and certificates it
//! signs for the scheduler, the executors and the clients, for a test or a small deployment.
//!
//! The scheduler's and executors' certificates name [`SERVER_NAME`] (and `localhost`), which
//! is what connections check, so one executor certificate serves every executor host; the
//! client's may only authenticate a client. Keys are ECDSA P-256; certificates are valid from
//! the first of this month for ten years.

use std::path::{Path, PathBuf};

use chrono::Datelike;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use super::security::SERVER_NAME;
use crate::error::{Error, Result};

/// The certificates written, by file stem: `ca`, then each role's.
pub const ROLES: [&str; 3] = ["scheduler", "executor", "client"];

fn failed(e: rcgen::Error) -> Error {
    Error::Data(format!("cluster certs: {e}"))
}

fn validity(params: &mut CertificateParams) {
    let today = chrono::Utc::now().date_naive();
    params.not_before = rcgen::date_time_ymd(today.year(), today.month() as u8, 1);
    params.not_after = rcgen::date_time_ymd(today.year() + 10, today.month() as u8, 1);
}

/// Writes `ca.pem`, `ca-key.pem` and, for each of [`ROLES`], `ROLE.pem` and `ROLE-key.pem`
/// into `dir` (created if missing). An existing file is never overwritten: that would cut
/// off every node that holds the old CA.
pub fn write(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut names = vec!["ca.pem".to_string(), "ca-key.pem".to_string()];
    for role in ROLES {
        names.push(format!("{role}.pem"));
        names.push(format!("{role}-key.pem"));
    }
    if let Some(existing) = names.iter().map(|n| dir.join(n)).find(|p| p.exists()) {
        return Err(Error::Usage(format!(
            "{}: exists; cluster certs writes a new CA and never replaces one (move the old \
             files away first)",
            existing.display()
        )));
    }
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "vpcflow cluster CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut ca);
    let ca_key = KeyPair::generate().map_err(failed)?;
    let ca_key_pem = ca_key.serialize_pem();
    let issuer = CertifiedIssuer::self_signed(ca, ca_key).map_err(failed)?;
    let mut files = vec![
        (names[0].clone(), issuer.pem()),
        (names[1].clone(), ca_key_pem),
    ];
    for role in ROLES {
        let mut params =
            CertificateParams::new(vec![SERVER_NAME.to_string(), "localhost".to_string()])
                .map_err(failed)?;
        params
            .distinguished_name
            .push(DnType::CommonName, format!("vpcflow {role}"));
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        // Nodes are servers and clients of each other; a client's certificate cannot serve.
        params.extended_key_usages = if role == "client" {
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        } else {
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ]
        };
        validity(&mut params);
        let key = KeyPair::generate().map_err(failed)?;
        let cert = params.signed_by(&key, &*issuer).map_err(failed)?;
        files.push((format!("{role}.pem"), cert.pem()));
        files.push((format!("{role}-key.pem"), key.serialize_pem()));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        write_private(&path, &text, path.to_string_lossy().ends_with("-key.pem"))?;
        written.push(path);
    }
    Ok(written)
}

/// Writes `text` to a new file; readable by its owner only when `private`.
fn write_private(path: &Path, text: &str, private: bool) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(path, e))
}
