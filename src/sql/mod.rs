//! The SQL layer: one place builds the DataFusion session with the `flows` table and the
//! `flows_classified` view; the SQL of the view and the reports lives in `queries/`.
pub mod committed;
pub mod fence;
pub mod pack;
pub mod queries;
pub mod session;
pub mod udf;
pub mod user;
