//! placeholder
pub mod model;
pub mod query;
pub mod xml;
