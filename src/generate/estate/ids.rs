//! AWS-shaped ids and small address and time helpers for building the estate.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Draws AWS-shaped ids (`prefix-0` + 16 hex digits) without repeats.
pub(crate) struct Ids {
    /// The estate's random stream; addresses are drawn from it too.
    pub(crate) rng: ChaCha8Rng,
    seen: BTreeSet<String>,
}

impl Ids {
    /// A fresh stream for `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Ids {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seen: BTreeSet::new(),
        }
    }

    /// A new id with this prefix, never handed out before.
    pub(crate) fn next(&mut self, prefix: &str) -> String {
        loop {
            let v: u64 = self.rng.random();
            let id = format!("{prefix}-0{v:016x}");
            if self.seen.insert(id.clone()) {
                return id;
            }
        }
    }

    /// `n` lowercase hex digits.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.rng.random_range(0..16usize)]))
            .collect()
    }

    /// A MAC address in AWS's `0e:` range.
    pub(crate) fn mac(&mut self) -> String {
        let b: [u8; 5] = self.rng.random();
        format!(
            "0e:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4]
        )
    }
}

/// `t` minus `days` days, as the CLI prints creation times.
pub(crate) fn aws_time(t: DateTime<Utc>, days: i64, seconds: i64) -> String {
    let shifted = t
        .checked_sub_signed(TimeDelta::days(days))
        .and_then(|t| t.checked_add_signed(TimeDelta::seconds(seconds)))
        .unwrap_or(t);
    shifted.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// An IPv4 address as a number.
pub(crate) fn v4(a: [u8; 4]) -> u32 {
    u32::from(Ipv4Addr::from(a))
}
