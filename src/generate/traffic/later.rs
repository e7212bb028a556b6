//! The traffic of the parts added to the estate after its first sample: prod's monitoring
//! scrapes and its RDS database, and in the second account the ingest instance behind the
//! regional NAT gateway and report-1's exports through the S3 interface endpoint. It draws from
//! a random stream of its own, so the first parts' records stay as they were, and its volumes do
//! not follow `flows_per_hour`: each runs on a schedule of its own.

use rand::Rng;

use super::emitter::Emitter;
use super::profiles::{INGEST_PULL, METRICS, ORDERS_QUERY, S3_EXPORT};

/// Seconds between two scrapes of the monitoring instance.
const SCRAPE_EVERY: i64 = 300;
/// Queries per hour to orders-db from each of its two clients.
const ORDERS_QUERIES: usize = 20;
/// report-1's exports per hour through the S3 interface endpoint.
const EXPORTS: usize = 4;
/// ingest-b1's downloads per hour through the regional NAT gateway.
const PULLS: usize = 30;

impl Emitter<'_> {
    /// The later parts' traffic of the hour starting at `hour`: every record starts and ends
    /// inside it.
    pub(crate) fn later(&mut self, hour: i64) {
        self.scrapes(hour);
        self.orders_db(hour);
        self.analytics_later(hour);
    }

    /// The monitoring instance scrapes each app server every [`SCRAPE_EVERY`] seconds, so its ENI
    /// logs from the first minutes of the window to the last.
    fn scrapes(&mut self, hour: i64) {
        let e = self.e;
        let r = &e.roles;
        for k in 0..3_600 / SCRAPE_EVERY {
            let round = hour + k * SCRAPE_EVERY + self.rng.random_range(0..20i64);
            for (start, app) in (round..).zip(r.apps.all()) {
                self.intra(r.monitor, app, e.primary_ip(app), METRICS, start);
            }
        }
    }

    /// app-a1 (us-east-1a, like the database) and app-c1 (us-east-1c) read orders-db.
    fn orders_db(&mut self, hour: i64) {
        let e = self.e;
        let r = &e.roles;
        for client in [r.apps.a1, r.apps.c1] {
            for _ in 0..ORDERS_QUERIES {
                let start = self.at(hour);
                let db = e.primary_ip(r.orders_db);
                self.intra(client, r.orders_db, db, ORDERS_QUERY, start);
            }
        }
    }

    /// The second account: report-1 exports to S3 through the interface endpoint (by its
    /// endpoint-specific name: private DNS is off), and ingest-b1 downloads from the internet
    /// through the regional NAT gateway's ENI in its own zone.
    fn analytics_later(&mut self, hour: i64) {
        let e = self.e;
        let r = &e.roles;
        for _ in 0..EXPORTS {
            let start = self.at(hour);
            self.via_endpoint(r.report, &r.s3_interface, S3_EXPORT, start);
        }
        for _ in 0..PULLS {
            let server = self.pick(&e.peers.web);
            self.via_nat(r.ingest, r.nat2_b, server, INGEST_PULL, hour);
        }
    }
}
