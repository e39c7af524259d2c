//! The APIs the gateway serves: the one API model ([`apispec`]), as the `sam` crate writes it.

pub use apispec::*;
