//! The SQL layer: one place builds the DataFusion session with the `flows` table.
pub mod session;
pub mod udf;
