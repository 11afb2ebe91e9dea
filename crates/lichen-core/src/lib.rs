//! The host-neutral core of Lichen.
//!
//! The semantics of every HPy context function live here, written once over
//! the [`Host`] trait, which a VM embedding (CPython, RustPython, ...)
//! implements with its own object model. The per-member tables come from the
//! single ABI declaration in `lichen-abi` (see [`context::universal_context`]).
#![allow(non_snake_case, clippy::missing_safety_doc)]
#![deny(unsafe_op_in_unsafe_fn)]

/// The areas the ABI is split into, named once: [`host`] (what a VM
/// provides) and [`api`] (the context functions over it) each have one
/// module per area, re-exported whole. `area_modules!()` in either declares
/// them; a new area is added here, and both files must then exist.
macro_rules! area_modules {
    () => {
        area_modules!(container, error, number, object, text, types);
    };
    ($($area:ident),*) => {
        $(mod $area;)*
        $(pub use $area::*;)*
    };
}

pub mod api;
pub mod builder;
pub mod call;
pub mod context;
pub mod debug;
pub mod guard;
pub mod hook;
pub mod host;
pub mod loader;
pub mod retval;
pub mod spec;
pub mod trace;
pub mod type_spec;
pub mod tracker;

pub use host::Host;
pub use lichen_abi as abi;

pub(crate) mod prelude {
    #[allow(unused_imports)]
    pub use crate::api::unsupported;
    pub use crate::host::*;
    #[allow(unused_imports)]
    pub use crate::retval::ErrorValue;
    pub use core::ffi::{c_char, c_int, c_void};
    pub use lichen_abi::*;
}
