//! The SQL layer: one place opens the DataFusion session ([`session`]) with the `flows` table
//! (`flows.rs`) and the `flows_classified` view; the SQL of the view and the reports lives in
//! `queries/`.
pub mod committed;
pub mod fence;
pub mod first_match;
mod flows;
pub mod pack;
pub mod queries;
pub mod scratch;
pub mod session;
mod streamed;
pub mod udf;
pub mod user;
