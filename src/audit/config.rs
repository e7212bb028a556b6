//! The audit's configuration: inputs, window, thresholds, what fails a run, and prices per
//! region. Read from TOML (`--config`); every key is optional and the defaults are AWS's
//! us-east-1 list prices. The command line overrides the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sql::udf::PriceList;

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Flow logs to read: files, directories, S3-layout trees or an ingested dataset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<PathBuf>,
    /// The AWS inventory folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory: Option<PathBuf>,
    /// Region of inventory files that name none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Where the HTML page is written (`""` for nowhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<PathBuf>,
    /// The window.
    pub window: WindowConfig,
    /// Thresholds.
    pub thresholds: Thresholds,
    /// What the audit must have seen before it advises without a warning.
    pub coverage: CoverageConfig,
    /// Which findings fail the run (exit 1).
    pub fail: FailPolicy,
    /// Prices.
    pub prices: Prices,
}

/// The window of the audit: `since`/`until`, or the `last` span up to now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WindowConfig {
    /// Start (RFC 3339, a date, or Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// End, exclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// A span ending now, e.g. `7d` or `12h`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

/// Thresholds of the findings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// An interface endpoint that carried traffic but fewer bytes than this is near-idle.
    pub near_idle_bytes: u64,
    /// Findings with a dollar figure below this (per month) are left out.
    pub min_monthly_usd: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            near_idle_bytes: 1 << 20,
            min_monthly_usd: 1.0,
        }
    }
}

/// What the audit must have seen before it advises without a warning: below any of these the
/// output carries a banner that names the gap (`--fail-on coverage` makes it fail the run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoverageConfig {
    /// At least this share of the inventory's ENIs logged a record (NODATA counts).
    pub min_inventory_logged_share: f64,
    /// At most this share of the ENIs in the logs is missing from the inventory.
    pub max_unknown_share: f64,
    /// The logs span at least this share of the window.
    pub min_window_share: f64,
    /// SKIPDATA covers at most this share of the logged ENI-hours.
    pub max_skipdata_share: f64,
    /// An endpoint is called idle or near-idle only when each of its ENIs logged a record
    /// within this many minutes of both ends of the window (flow logs arrive minutes late).
    pub edge_minutes: f64,
}

impl Default for CoverageConfig {
    fn default() -> Self {
        CoverageConfig {
            min_inventory_logged_share: 0.8,
            max_unknown_share: 0.05,
            min_window_share: 0.9,
            max_skipdata_share: 0.01,
            edge_minutes: 60.0,
        }
    }
}

/// Which findings make the run exit 1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailPolicy {
    /// Kinds of finding (see `vpcflow audit --help`), or `all`.
    pub on: Vec<String>,
    /// A finding with a dollar figure fails the run from this many USD per month; one without
    /// fails it whenever present.
    pub above_usd: f64,
}

/// Prices in USD, per region, with the defaults for regions not listed, and where each item's
/// default came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prices {
    /// Where the prices come from.
    pub source: String,
    /// Bytes in one billed GB.
    pub bytes_per_gb: f64,
    /// Hours in the month that monthly figures are scaled to.
    pub month_hours: f64,
    /// Prices of regions not listed in `regions`.
    pub default: PriceSet,
    /// Prices of a region, item by item; an item not given falls back to `default`.
    pub regions: BTreeMap<String, RegionPrices>,
    /// Per item: the AWS page its default price was read from, and when.
    pub sources: BTreeMap<String, PriceSource>,
}

/// Where a default price was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceSource {
    /// The AWS pricing page.
    pub page: String,
    /// When the default was last set from that page's figures (a date).
    pub checked: String,
}

/// Declares the billed items once: [`PriceSet`] (every item), [`RegionPrices`] (any of them),
/// their lists by name, and the AWS page each default comes from.
macro_rules! price_items {
    ($($(#[doc = $doc:literal])* $item:ident = $usd:literal from $page:ident;)*) => {
        /// The billed items the findings use.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct PriceSet {
            $($(#[doc = $doc])* pub $item: f64,)*
        }

        /// A region's prices that differ from the defaults (see [`PriceSet`]).
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct RegionPrices {
            $($(#[doc = $doc])*
            #[serde(skip_serializing_if = "Option::is_none")]
            pub $item: Option<f64>,)*
        }

        impl Default for PriceSet {
            /// us-east-1 list prices.
            fn default() -> Self {
                PriceSet { $($item: $usd,)* }
            }
        }

        impl PriceSet {
            /// Every item with its name, as `price()` and the config name them.
            fn items(&self) -> Vec<(&'static str, f64)> {
                vec![$((stringify!($item), self.$item),)*]
            }
        }

        impl RegionPrices {
            /// Every item with its name; `None` where the region falls back to the default.
            fn items(&self) -> Vec<(&'static str, Option<f64>)> {
                vec![$((stringify!($item), self.$item),)*]
            }

            /// These prices, with `other`'s for the items these leave out.
            fn or(self, other: &RegionPrices) -> RegionPrices {
                RegionPrices { $($item: self.$item.or(other.$item),)* }
            }
        }

        /// The page each item's default was read from.
        fn default_sources() -> BTreeMap<String, PriceSource> {
            BTreeMap::from([$((
                stringify!($item).to_string(),
                PriceSource { page: $page.to_string(), checked: CHECKED.to_string() },
            ),)*])
        }
    };
}

/// When the default prices were last set from AWS's pages.
const CHECKED: &str = "2026-12-06";

const PRIVATELINK: &str = "https://aws.amazon.com/privatelink/pricing/";
const VPC: &str = "https://aws.amazon.com/vpc/pricing/";
const EC2_TRANSFER: &str = "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer";

price_items! {
    /// An interface endpoint, per AZ and hour.
    interface_endpoint_hour = 0.01 from PRIVATELINK;
    /// An interface endpoint's data processing, per GB: the first PB a month of the region's
    /// interface endpoints together.
    interface_endpoint_gb = 0.01 from PRIVATELINK;
    /// The same, per GB over 1 PB a month (the next 4 PB).
    interface_endpoint_gb_over_1pb = 0.006 from PRIVATELINK;
    /// The same, per GB over 5 PB a month.
    interface_endpoint_gb_over_5pb = 0.004 from PRIVATELINK;
    /// A zonal NAT gateway, per hour.
    nat_gateway_hour = 0.045 from VPC;
    /// A NAT gateway's data processing, per GB (zonal and regional).
    nat_gateway_gb = 0.045 from VPC;
    /// A regional NAT gateway, per hour and zone it is active in.
    regional_nat_gateway_zone_hour = 0.045 from VPC;
    /// Data between availability zones of a region, per GB and direction: billed once out of
    /// one zone and once into the other.
    cross_az_gb = 0.01 from EC2_TRANSFER;
    /// A public IPv4 address, per hour, in use or not.
    public_ipv4_hour = 0.005 from VPC;
}

/// GB in a PB, for the tiers of interface endpoint processing (GB of `bytes_per_gb` bytes).
const GB_PER_PB: f64 = 1024.0 * 1024.0;

impl Default for Prices {
    fn default() -> Self {
        Prices {
            source: "AWS list prices for us-east-1 (the AWS PrivateLink, Amazon VPC and Amazon \
                     EC2 data transfer pricing pages; each item's page is in `sources`); \
                     ap-southeast-1 NAT gateway prices as quoted for Singapore. Prices change \
                     and vary by region: check yours and override them."
                .to_string(),
            bytes_per_gb: (1u64 << 30) as f64,
            month_hours: 730.0,
            default: PriceSet::default(),
            regions: BTreeMap::from([(
                "ap-southeast-1".to_string(),
                RegionPrices {
                    nat_gateway_hour: Some(0.059),
                    nat_gateway_gb: Some(0.059),
                    ..RegionPrices::default()
                },
            )]),
            sources: default_sources(),
        }
    }
}

impl Prices {
    /// The price of `item` in `region` (the default when the region or item is not listed);
    /// `None` for an item that does not exist.
    pub fn get(&self, item: &str, region: Option<&str>) -> Option<f64> {
        let default = self
            .default
            .items()
            .into_iter()
            .find(|(n, _)| *n == item)?
            .1;
        let own = region
            .and_then(|r| self.regions.get(r))
            .and_then(|r| r.items().into_iter().find(|(n, _)| *n == item)?.1);
        Some(own.unwrap_or(default))
    }
}

/// The prices `price(item, region)` answers from.
impl PriceList for Prices {
    fn price(&self, item: &str, region: Option<&str>) -> Option<f64> {
        self.get(item, region)
    }

    /// Interface endpoint processing is billed in tiers of the region's monthly volume.
    fn tiers(&self, item: &str, region: Option<&str>) -> Option<Vec<(f64, f64)>> {
        if item != "interface_endpoint_gb" {
            return self.get(item, region).map(|p| vec![(f64::INFINITY, p)]);
        }
        let at = |item| self.get(item, region);
        Some(vec![
            (GB_PER_PB, at("interface_endpoint_gb")?),
            (5.0 * GB_PER_PB, at("interface_endpoint_gb_over_1pb")?),
            (f64::INFINITY, at("interface_endpoint_gb_over_5pb")?),
        ])
    }
}

impl Config {
    /// Reads a TOML file; an error names the file, the line and the key.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut config: Config = toml::from_str(&text).map_err(|e| Error::Input {
            path: path.to_path_buf(),
            reason: e.to_string().trim_end().to_string(),
        })?;
        config.check(path)?;
        // The shipped regional prices stay unless the file sets the same item.
        for (name, shipped) in Prices::default().regions {
            let own = config.prices.regions.remove(&name).unwrap_or_default();
            config.prices.regions.insert(name, own.or(&shipped));
        }
        for (item, shipped) in default_sources() {
            config.prices.sources.entry(item).or_insert(shipped);
        }
        Ok(config)
    }

    /// Rejects values no audit can use.
    fn check(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| Error::Input {
            path: path.to_path_buf(),
            reason,
        };
        let p = &self.prices;
        if !(p.bytes_per_gb > 0.0 && p.month_hours > 0.0) {
            return Err(bad(
                "prices.bytes_per_gb and prices.month_hours must be positive".into(),
            ));
        }
        if let Some(item) = p.sources.keys().find(|k| p.get(k, None).is_none()) {
            return Err(bad(format!("prices.sources.{item}: no such price item")));
        }
        let default = p
            .default
            .items()
            .into_iter()
            .map(|(_, v)| Some(v))
            .collect();
        let sets = std::iter::once(("default".to_string(), default)).chain(p.regions.iter().map(
            |(name, r)| {
                let values: Vec<Option<f64>> = r.items().into_iter().map(|(_, v)| v).collect();
                (format!("regions.{name}"), values)
            },
        ));
        for (name, values) in sets {
            if values
                .into_iter()
                .flatten()
                .any(|v| !v.is_finite() || v < 0.0)
            {
                return Err(bad(format!(
                    "prices.{name}: a price is negative or not a number"
                )));
            }
        }
        let c = &self.coverage;
        let shares = [
            ("min_inventory_logged_share", c.min_inventory_logged_share),
            ("max_unknown_share", c.max_unknown_share),
            ("min_window_share", c.min_window_share),
            ("max_skipdata_share", c.max_skipdata_share),
        ];
        if let Some((name, _)) = shares.iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
            return Err(bad(format!("coverage.{name} must be a share from 0 to 1")));
        }
        if !(c.edge_minutes >= 0.0 && c.edge_minutes.is_finite()) {
            return Err(bad("coverage.edge_minutes must be 0 or more".into()));
        }
        Ok(())
    }

    /// The configuration as TOML, as `--print-config` shows it.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Data(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_overrides_item_by_item() {
        let p = Prices::default();
        assert_eq!(p.get("nat_gateway_gb", Some("ap-southeast-1")), Some(0.059));
        assert_eq!(
            p.get("interface_endpoint_hour", Some("ap-southeast-1")),
            Some(0.01)
        );
        assert_eq!(p.get("nat_gateway_gb", Some("us-east-1")), Some(0.045));
        assert_eq!(p.get("nat_gateway_gb", None), Some(0.045));
        assert_eq!(p.get("fuel", None), None);
    }

    #[test]
    fn a_file_sets_what_it_names_and_keeps_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.toml");
        std::fs::write(
            &path,
            "[thresholds]\nmin_monthly_usd = 5\n[prices.regions.eu-west-1]\nnat_gateway_gb = 0.048\n",
        )
        .expect("writes");
        let c = Config::load(&path).expect("loads");
        assert_eq!(c.thresholds.min_monthly_usd, 5.0);
        assert_eq!(c.thresholds.near_idle_bytes, 1 << 20);
        assert_eq!(
            c.prices.get("nat_gateway_gb", Some("eu-west-1")),
            Some(0.048)
        );
        assert_eq!(
            c.prices.get("nat_gateway_hour", Some("eu-west-1")),
            Some(0.045)
        );
        // What --print-config shows reads back to the same configuration.
        let again: Config = toml::from_str(&c.to_toml().expect("prints")).expect("parses");
        assert_eq!(again, c);
    }

    #[test]
    fn the_readme_example_is_a_valid_configuration() {
        let readme = include_str!("../../README.md");
        let start = readme.find("```toml\n").expect("a TOML example") + 8;
        let end = start + readme[start..].find("```").expect("its end");
        let c: Config = toml::from_str(&readme[start..end]).expect("parses");
        assert_eq!(
            c.prices.get("nat_gateway_gb", Some("eu-west-1")),
            Some(0.048)
        );
        assert_eq!(c.fail.on, ["idle-endpoints", "nat-s3"]);
    }

    #[test]
    fn a_bad_file_names_the_file_and_the_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.toml");
        std::fs::write(&path, "[thresholds]\nnear_idle = 5\n").expect("writes");
        let err = Config::load(&path).expect_err("unknown key").to_string();
        assert!(
            err.contains("audit.toml") && err.contains("near_idle"),
            "{err}"
        );
        std::fs::write(&path, "[prices.default]\nnat_gateway_gb = -1\n").expect("writes");
        let err = Config::load(&path).expect_err("negative").to_string();
        assert!(err.contains("prices.default"), "{err}");
    }
}
