//! placeholder
pub mod model;
pub mod query;
pub mod sigv4;
pub mod xml;
